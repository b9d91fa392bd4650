/**
 * Consumes the events queue. Deliveries that arrive together are handled together: one store
 * transaction per batch (state read in two queries, written in a few multi-row statements, see
 * batch-state.ts), and acks only after the commit. While the database cannot be reached, the
 * batch in hand waits for it and is then handled as if nothing happened. Retries are
 * re-published to their delay queue (with confirms) before their original is acked, so a crash
 * between the two loses nothing.
 * The prefetch follows a byte budget with a slow start (prefetch-window.ts), and a consumer the
 * broker cancels is subscribed again (subscription.ts).
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Broker, BrokerChannels } from '../broker/connection.js';
import type { Topology } from '../broker/topology.js';
import type { Store, StoreTx } from '../store/store.js';
import { withoutBrokerHeaders } from '../broker/headers.js';
import { PrefetchWindow } from './prefetch-window.js';
import { QueueSubscription } from './subscription.js';
import { refuseTooLarge } from './size-limit.js';
import { parseIncoming } from '../messages/schemas.js';
import { handle } from '../handlers/index.js';
import type { Outcome } from '../handlers/outcome.js';
import type { HandlerSettings } from '../handlers/context.js';
import { BatchState } from './batch-state.js';
import { DeadLetterRecorder } from './dead-letters.js';
import type { IncomingEvent } from '../messages/incoming.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { ATTEMPT_HEADER, LAST_ERROR_HEADER, ROUTING_KEY_HEADER, attemptOf, failureFromMessage, knownType, originalRoutingKey, requeuedFromOf, type MessageHint } from './failure.js';
import { traceDeliveries, traceHeaders, type DeliveryTrace } from './event-traces.js';
import type { Tracing } from '../tracing/tracing.js';
import { TracedHandlerContext } from './handler-context.js';

/** Prefetch right after subscribing, in messages: a worker killed at once has held only these. */
const INITIAL_PREFETCH = 8;
/** A batch in progress longer than this means the consumer is stuck: /readyz says so. */
const STALLED_AFTER_MS = 60_000;

export interface EventConsumerDeps {
  broker: Broker;
  store: Store;
  topology: Topology;
  batchSize: number;
  retryDelaysMs: number[];
  deliveryLimit: number;
  /** Largest message body handled, in bytes (MAX_MESSAGE_SIZE). */
  maxMessageBytes: number;
  /** Bytes of unsettled message bodies to aim for at most (MAX_BYTES_IN_FLIGHT). */
  maxBytesInFlight: number;
  clock: () => Date;
  handlerSettings: HandlerSettings;
  log: Logger;
  metrics: Metrics;
  tracing: Tracing;
  /** Called after a commit that may have added outbox rows. */
  onCommitted: () => void;
}

interface Delivery {
  channel: Channel;
  msg: ConsumeMessage;
  receivedAt: number;
}

/** What happens to a delivery once its batch has committed. */
type Settlement =
  | { action: 'ack'; outcome: 'acked' | 'duplicate' | 'skipped' | 'failed'; reason?: string }
  | { action: 'retry'; reason: string }
  /** The database itself failed: let the broker redeliver (its delivery limit bounds this). */
  | { action: 'requeue' };

export class EventConsumer {
  private buffer: Delivery[] = [];
  private draining: Promise<void> | undefined;
  private batchStartedAt: number | undefined;
  private stopped = false;
  /** Aborted by stop(): a batch waiting for the database gives up and goes back to the queue. */
  private readonly stopping = new AbortController();

  private readonly deadLetters: DeadLetterRecorder;
  private readonly window: PrefetchWindow;
  private readonly events: QueueSubscription;
  private readonly deadLetterQueue: QueueSubscription;

  constructor(private readonly deps: EventConsumerDeps) {
    this.deadLetters = new DeadLetterRecorder(deps);
    // Two batches' worth at most: one being committed, the next one arriving meanwhile.
    this.window = new PrefetchWindow({ max: deps.batchSize * 2, initial: INITIAL_PREFETCH, budgetBytes: deps.maxBytesInFlight });
    const common = { broker: deps.broker, log: deps.log };
    this.events = new QueueSubscription({
      ...common,
      queue: deps.topology.eventsQueue,
      onMessage: (channel, msg) => this.receive(channel, msg),
      restartPrefetch: () => this.window.restart(),
    });
    this.deadLetterQueue = new QueueSubscription({
      ...common,
      queue: deps.topology.deadLetterQueue,
      onMessage: (channel, msg) => void this.deadLetters.record(channel, msg),
      restartPrefetch: () => 10,
    });
  }

  /** True while subscribed to the events and dead-letter queues on a live connection. */
  get consuming(): boolean {
    return !this.stopped && this.deps.broker.connected && this.events.active && this.deadLetterQueue.active;
  }

  /** What /readyz reports of the consumer: ready only while consuming and not stuck in a batch. */
  health(): { ready: boolean; consuming: boolean; batchInProgressMs?: number; prefetch: number } {
    const batchInProgressMs = this.batchStartedAt === undefined ? undefined : Math.round(performance.now() - this.batchStartedAt);
    const stalled = batchInProgressMs !== undefined && batchInProgressMs > STALLED_AFTER_MS;
    return { ready: this.consuming && !stalled, consuming: this.consuming, prefetch: this.window.current, ...(batchInProgressMs !== undefined ? { batchInProgressMs } : {}) };
  }

  async start(): Promise<void> {
    this.deps.broker.on('disconnected', () => {
      this.events.lost();
      this.deadLetterQueue.lost();
    });
    await this.deps.broker.onSetup((channels) => this.subscribe(channels));
  }

  /** Stops taking new deliveries and waits for the batch in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort(new Error('the worker is stopping'));
    await this.events.close();
    await this.deadLetterQueue.close();
    await this.draining;
  }

  private async subscribe({ consume, deadLetters }: BrokerChannels): Promise<void> {
    if (this.stopped) return;
    // The dead-letter consumer first: a batch may need it as soon as events flow.
    await this.deadLetterQueue.open(deadLetters, 10);
    await this.events.open(consume, this.window.restart());
  }

  private receive(channel: Channel, msg: ConsumeMessage): void {
    this.buffer.push({ channel, msg, receivedAt: performance.now() });
    // Let the deliveries already on the socket join this batch before it starts.
    if (!this.draining) this.draining = new Promise((resolve) => setImmediate(() => this.drain().finally(resolve)));
  }

  private async drain(): Promise<void> {
    try {
      while (this.buffer.length > 0) {
        const batch = this.buffer.splice(0, this.deps.batchSize);
        await this.processBatch(batch).catch((err: Error) => {
          // Unsettled deliveries must not stay behind: the next batch's multiple-ack would ack them.
          this.deps.log.error({ err }, 'batch processing failed; its messages go back to the queue');
          for (const d of batch) {
            try {
              d.channel.nack(d.msg, false, true);
            } catch {
              // the channel is gone: the broker redelivers
            }
          }
        });
      }
    } finally {
      this.draining = undefined;
    }
  }

  private async processBatch(batch: Delivery[]): Promise<void> {
    this.batchStartedAt = performance.now();
    try {
      await this.handleBatch(batch);
    } finally {
      this.batchStartedAt = undefined;
    }
  }

  private async handleBatch(batch: Delivery[]): Promise<void> {
    const now = this.deps.clock();
    const parsed = batch.map((d) => this.read(d.msg));
    const events = parsed.flatMap((p) => (p.ok ? [p.event] : []));
    const traces = traceDeliveries(this.deps.tracing, this.deps.log, batch, parsed);
    const commit = this.deps.tracing.batch(traces.map((t) => t.span));
    let settlements: Settlement[];
    let committed = true;
    try {
      settlements = await this.commitBatch(batch, parsed, events, now, traces);
      commit.end();
    } catch (err) {
      commit.end({ error: (err as Error).message });
      // Stopped while waiting for the database: back to the queue, not a retry spent.
      if (this.stopping.signal.aborted) throw err;
      // The database failed as a whole (busy past its timeout, disk full): every message of the
      // batch is retried on the schedule; past it, the broker's delivery limit takes over.
      const reason = `database: ${(err as Error).message}`;
      this.deps.log.error({ err }, 'database transaction failed; the batch will be retried');
      settlements = batch.map((d) => (attemptOf(d.msg) < this.deps.retryDelaysMs.length ? { action: 'retry', reason } : { action: 'requeue' }));
      committed = false;
    }
    this.deps.onCommitted();
    await this.adjustPrefetch(batch, committed);
    const ackedAtOnce = this.ackAtOnce(batch, settlements);
    const outcomes = await Promise.all(batch.map((d, i) => this.settle(d, settlements[i]!, parsed[i]!, traces[i]!, ackedAtOnce.get(d.channel))));
    // A broker cut leaves a whole batch unsettled: one line for it, not one per delivery.
    const unsettled = outcomes.flatMap((o, i) => (o === 'redelivered' ? [traces[i]!.span.traceId] : []));
    if (unsettled.length > 0) this.deps.log.warn({ deliveries: unsettled.length, traceIds: unsettled }, 'could not settle deliveries (the channel closed); the broker redelivers them');
  }

  /**
   * The batch's transaction. While the database cannot be reached it waits for it, then runs the
   * batch again: an outage of the store costs its messages no retry. Stopping gives up waiting.
   */
  private async commitBatch(
    batch: Delivery[],
    parsed: ReturnType<typeof parseIncoming>[],
    events: IncomingEvent[],
    now: Date,
    traces: DeliveryTrace[],
  ): Promise<Settlement[]> {
    const { store, log } = this.deps;
    for (;;) {
      try {
        return await store.transaction(async (tx) => {
          const state = await BatchState.load(tx, events);
          const result: Settlement[] = [];
          for (let i = 0; i < batch.length; i++) result.push(await this.handleOne(tx, state, batch[i]!, parsed[i]!, now, traces[i]!));
          await state.write(tx, now.getTime());
          return result;
        });
      } catch (err) {
        if (!store.isUnreachable(err)) throw err;
        log.warn({ err: (err as Error).message, messages: batch.length }, 'database unreachable; the batch waits for it');
        await store.whenReachable(this.stopping.signal);
      }
    }
  }

  /** A body above MAX_MESSAGE_SIZE is refused unread; the rest is parsed and validated. */
  private read(msg: ConsumeMessage): ReturnType<typeof parseIncoming> {
    if (msg.content.length > this.deps.maxMessageBytes) return refuseTooLarge(msg, this.deps.maxMessageBytes);
    return parseIncoming(msg.content, msg.properties.contentType as string | undefined, msg.properties.headers);
  }

  /**
   * Before the batch is acked (nothing more arrives until then): fit the prefetch to the byte
   * budget and the sizes just seen, growing only after a commit.
   */
  private async adjustPrefetch(batch: Delivery[], committed: boolean): Promise<void> {
    let largest = 0;
    for (const d of batch) largest = Math.max(largest, d.msg.content.length);
    const next = this.window.afterBatch(largest, committed);
    if (next === undefined || this.stopped) return;
    await this.events.resize(next).catch((err: Error) => this.deps.log.warn({ err: err.message, prefetch: next }, 'could not change the prefetch'));
  }

  /**
   * One multiple-ack per channel whose deliveries in this batch are all plain acks: the channel
   * carries only the events queue, and earlier batches are settled before this one, so "up to
   * this delivery" is exactly this batch's deliveries on it. Says per channel whether it worked.
   */
  private ackAtOnce(batch: Delivery[], settlements: Settlement[]): Map<Channel, boolean> {
    const last = new Map<Channel, Delivery | null>();
    batch.forEach((d, i) => {
      const plainAck = settlements[i]!.action === 'ack' && last.get(d.channel) !== null;
      last.set(d.channel, plainAck ? d : null);
    });
    const acked = new Map<Channel, boolean>();
    for (const [channel, d] of last) {
      if (!d) continue;
      try {
        channel.ack(d.msg, true);
        acked.set(channel, true);
      } catch {
        acked.set(channel, false); // the channel closed under us: the broker redelivers
      }
    }
    return acked;
  }

  private async handleOne(tx: StoreTx, state: BatchState, d: Delivery, parsed: ReturnType<typeof parseIncoming>, now: Date, trace: DeliveryTrace): Promise<Settlement> {
    const attempt = attemptOf(d.msg);
    if (!parsed.ok) {
      // Bad input is permanent: kept for support with its reason, never retried.
      await tx.failed.record(failureFromMessage(d.msg, parsed.hint, 'InvalidMessage', parsed.reason, attempt + 1, trace.incoming), now.getTime());
      return { action: 'ack', outcome: 'failed', reason: parsed.reason };
    }
    const event = parsed.event;
    const settled = await this.settledEarly(tx, d, state, event, now);
    if (settled) return settled;
    const outcome = this.decide(event, state, now, trace);
    if (outcome.kind === 'retry' && attempt < this.deps.retryDelaysMs.length) return { action: 'retry', reason: outcome.reason };
    if (outcome.kind === 'done' || outcome.kind === 'skip') {
      if (outcome.kind === 'skip') this.deps.log.info({ eventId: event.id, collaborationId: event.data.collaborationId, traceId: trace.span.traceId, reason: outcome.reason }, 'event skipped');
      await this.noteRequeueOutcome(tx, d, outcome.kind === 'done' ? 'handled' : 'skipped', now);
      return { action: 'ack', outcome: outcome.kind === 'done' ? 'acked' : 'skipped' };
    }
    const [errorClass, reason] =
      outcome.kind === 'fail'
        ? ['Rejected', outcome.reason]
        : ['RetriesExhausted', `gave up after ${attempt + 1} attempts: ${outcome.reason}`];
    const hint: MessageHint = { id: event.id, source: event.source, type: event.type, collaborationId: event.data.collaborationId };
    await tx.failed.record(failureFromMessage(d.msg, hint, errorClass, reason, attempt + 1, trace.incoming), now.getTime());
    return { action: 'ack', outcome: 'failed', reason };
  }

  /** A copy of an event handled before: acked, and noted on the failed message it was requeued from. */
  private async settledEarly(tx: StoreTx, d: Delivery, state: BatchState, event: IncomingEvent, now: Date): Promise<Settlement | undefined> {
    if (!state.isHandled(event)) return undefined;
    await this.noteRequeueOutcome(tx, d, 'handled before', now);
    return { action: 'ack', outcome: 'duplicate' };
  }

  /** A requeued message's fate, in its failed message's audit trail (its failing again is noted by recordFailure). */
  private async noteRequeueOutcome(tx: StoreTx, d: Delivery, action: string, now: Date): Promise<void> {
    const failedId = requeuedFromOf(d.msg);
    if (failedId !== undefined) await tx.failed.recordRequeueOutcome(failedId, action, now.getTime());
  }

  /** Runs the event's handler in a scope of its own; only a done or skipped event's changes are kept. */
  private decide(event: IncomingEvent, state: BatchState, now: Date, trace: DeliveryTrace): Outcome {
    const scope = state.scope(event, now, trace.span.extension);
    let outcome: Outcome;
    try {
      outcome = handle(event, new TracedHandlerContext(this.deps.handlerSettings, scope, now, this.deps.log, trace.span.traceId));
    } catch (err) {
      const error = err as Error;
      // An unexpected error may be passing: retry it within the schedule, then keep it as failed.
      this.deps.log.warn({ err: error, eventId: event.id, traceId: trace.span.traceId }, 'handler threw');
      return { kind: 'retry', reason: `${error.name}: ${error.message}` };
    }
    if (outcome.kind === 'done' || outcome.kind === 'skip') state.commit(event, scope, outcome.kind === 'done' ? 'handled' : `skipped: ${outcome.reason}`);
    return outcome;
  }

  /** `ackedAtOnce`: true if this delivery was acked with the batch, false if that failed. */
  private async settle(d: Delivery, s: Settlement, parsed: ReturnType<typeof parseIncoming>, trace: DeliveryTrace, ackedAtOnce?: boolean): Promise<string> {
    // A refused message's type when the contract knows it (from its envelope or routing key):
    // never a value from the input as such, so the metric's labels stay few.
    const type = parsed.ok ? parsed.event.type : knownType(parsed.hint, originalRoutingKey(d.msg)) ?? 'invalid';
    let outcome: string;
    try {
      if (s.action === 'ack') {
        // Acked with its batch (ackAtOnce) or, when that was not possible for its channel, alone.
        if (ackedAtOnce === false) throw new Error('the channel closed before the batch could be acked');
        if (ackedAtOnce === undefined) d.channel.ack(d.msg);
        outcome = s.outcome;
      } else if (s.action === 'retry') {
        await this.scheduleRetry(d.msg, s.reason, trace);
        d.channel.ack(d.msg);
        outcome = 'retried';
      } else {
        d.channel.nack(d.msg, false, true);
        outcome = 'requeued';
      }
    } catch {
      // The channel closed under us: the broker redelivers, and the inbox makes that harmless
      // (logged once for the batch by processBatch).
      try {
        d.channel.nack(d.msg, false, true);
      } catch {
        // already gone with its channel
      }
      outcome = 'redelivered';
    }
    const seconds = (performance.now() - d.receivedAt) / 1000;
    this.deps.metrics.messages.inc({ type, outcome });
    this.deps.metrics.handlingSeconds.observe({ type }, seconds);
    const hint = parsed.ok ? parsed.event : parsed.hint;
    const reason = s.action === 'requeue' ? undefined : s.reason;
    // A message kept as failed needs someone to look at it: a warning, with its reason.
    this.deps.log[outcome === 'failed' ? 'warn' : 'info'](
      { eventId: hint.id, collaborationId: parsed.ok ? parsed.event.data.collaborationId : parsed.hint.collaborationId, type, outcome, durationMs: Math.round(seconds * 1000), traceId: trace.span.traceId, ...(reason ? { reason } : {}) },
      'message handled',
    );
    if (this.deps.tracing.exporting) {
      const failed = outcome === 'failed' || outcome === 'retried' || outcome === 'redelivered' || outcome === 'requeued';
      trace.span.end({ attributes: { 'collab.outcome': outcome }, ...(failed ? { error: reason ?? outcome } : {}) });
    }
    return outcome;
  }

  private async scheduleRetry(msg: ConsumeMessage, reason: string, trace: DeliveryTrace): Promise<void> {
    const broker = this.deps.broker.current;
    if (!broker) throw new Error('broker not connected');
    const attempt = attemptOf(msg);
    const route = this.deps.topology.retryRoutes.find((r) => r.delayMs === this.deps.retryDelaysMs[attempt])!;
    await broker.publisher.publish(this.deps.topology.retryExchange, route.routingKey, msg.content, {
      messageId: (msg.properties.messageId as string | undefined) ?? `retry-${Date.now()}-${Math.random()}`,
      mandatory: true,
      contentType: msg.properties.contentType as string | undefined,
      headers: {
        ...withoutBrokerHeaders(msg.properties.headers),
        [ATTEMPT_HEADER]: attempt + 1,
        [ROUTING_KEY_HEADER]: originalRoutingKey(msg),
        [LAST_ERROR_HEADER]: reason.slice(0, 500),
        // The next attempt continues this trace, also when the body carries none.
        ...traceHeaders(trace.incoming),
      },
    });
  }
}

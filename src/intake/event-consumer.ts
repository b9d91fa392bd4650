/**
 * Consumes the events queue. Deliveries that arrive together are handled together: one store
 * transaction per batch (state read in two queries, written in a few multi-row statements, see
 * batch-state.ts), and acks only after the commit (settlement.ts). A batch's transaction runs
 * while the batch before it is settled and the next one arrives and is parsed. While the
 * database cannot be reached, the batch in hand waits for it and is then handled as if nothing
 * happened. Its outbox rows go straight to this process's dispatcher when it has one (handoff).
 * The prefetch follows a byte budget with a slow start (prefetch-window.ts), and a consumer the
 * broker cancels is subscribed again (subscription.ts).
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Broker, BrokerChannels } from '../broker/connection.js';
import type { Topology } from '../broker/topology.js';
import type { Store, StoreTx } from '../store/store.js';
import { PrefetchWindow } from './prefetch-window.js';
import { QueueSubscription } from './subscription.js';
import { refuseTooLarge } from './size-limit.js';
import { parseIncoming } from '../messages/schemas.js';
import { handle } from '../handlers/index.js';
import type { Outcome } from '../handlers/outcome.js';
import type { HandlerSettings } from '../handlers/context.js';
import { BatchState, type LeasedRows } from './batch-state.js';
import type { OutboxHandoff } from '../outbox/handoff.js';
import { DeadLetterRecorder } from './dead-letters.js';
import type { IncomingEvent } from '../messages/incoming.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { attemptOf, failureFromMessage, requeuedFromOf, type MessageHint } from './failure.js';
import { traceDeliveries, type DeliveryTrace } from './event-traces.js';
import type { Tracing } from '../tracing/tracing.js';
import { TracedHandlerContext } from './handler-context.js';
import { Settler, type Delivery, type Settlement } from './settlement.js';

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
  /** This process's dispatcher, when it has one: the batch's outbox rows go to it leased, right after the commit. */
  outboxHandoff?: OutboxHandoff;
  /** Called after a commit that may have added outbox rows not handed off. */
  onCommitted: () => void;
}

/** A batch's transaction done: what to do with each delivery. `committed`: false when the database failed. */
interface CommittedBatch {
  settlements: Settlement[];
  traces: DeliveryTrace[];
  committed: boolean;
}

export class EventConsumer {
  private buffer: Delivery[] = [];
  private draining: Promise<void> | undefined;
  /** When each batch not yet settled began its commit (performance.now()), by a number of its own. */
  private readonly inProgress = new Map<number, number>();
  private batchNumber = 0;
  private stopped = false;
  /** Aborted by stop(): a batch waiting for the database gives up and goes back to the queue. */
  private readonly stopping = new AbortController();

  private readonly deadLetters: DeadLetterRecorder;
  private readonly settler: Settler;
  private readonly window: PrefetchWindow;
  private readonly events: QueueSubscription;
  private readonly deadLetterQueue: QueueSubscription;

  constructor(private readonly deps: EventConsumerDeps) {
    this.deadLetters = new DeadLetterRecorder(deps);
    this.settler = new Settler(deps);
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
    const oldest = this.inProgress.size > 0 ? Math.min(...this.inProgress.values()) : undefined;
    const batchInProgressMs = oldest === undefined ? undefined : Math.round(performance.now() - oldest);
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

  /**
   * Parsed and validated as it arrives: deliveries come in while the batch before them is being
   * committed on SQLite's thread (or PostgreSQL's server), so this work fills that wait instead
   * of adding to it.
   */
  private receive(channel: Channel, msg: ConsumeMessage): void {
    this.buffer.push({ channel, msg, receivedAt: performance.now(), parsed: this.read(msg) });
    // Let the deliveries already on the socket join this batch before it starts.
    if (!this.draining) this.draining = new Promise((resolve) => setImmediate(() => this.drain().finally(resolve)));
  }

  /**
   * Batches one after the other, in two overlapping steps: a batch's transaction starts as soon
   * as the one before has committed, and the one before is settled (acked, logged) while it runs.
   * Settling stays in order, each batch after the one before: a batch's multiple-ack must not
   * ack a delivery of an earlier batch whose retry is not yet confirmed.
   */
  private async drain(): Promise<void> {
    let settled: Promise<void> = Promise.resolve();
    try {
      for (;;) {
        if (this.buffer.length === 0) {
          await settled;
          // Deliveries that came while the last batch was settled are taken by this drain.
          if (this.buffer.length === 0) break;
          continue;
        }
        const batch = this.buffer.splice(0, this.deps.batchSize);
        const number = this.batchNumber++;
        const started = performance.now();
        this.inProgress.set(number, started);
        for (const d of batch) this.deps.metrics.batchWaitSeconds.observe((started - d.receivedAt) / 1000);
        let committed: CommittedBatch | undefined;
        try {
          committed = await this.commit(batch);
          // Only transactions that committed: a failed one, or one that waited out an outage, is not a commit's time.
          if (committed?.committed) this.deps.metrics.batchCommitSeconds.observe((performance.now() - started) / 1000);
        } catch (err) {
          this.inProgress.delete(number);
          this.giveBack(batch, err as Error);
          continue;
        }
        const previous = settled;
        settled = (async () => {
          await previous;
          try {
            if (committed) await this.settleBatch(batch, committed);
          } finally {
            this.inProgress.delete(number);
          }
        })().catch((err: Error) => this.giveBack(batch, err));
      }
    } finally {
      this.draining = undefined;
    }
  }

  /** Unsettled deliveries must not stay behind: the next batch's multiple-ack would ack them. */
  private giveBack(batch: Delivery[], err: Error): void {
    this.deps.log.error({ err }, 'batch processing failed; its messages go back to the queue');
    for (const d of batch) {
      try {
        d.channel.nack(d.msg, false, true);
      } catch {
        // the channel is gone: the broker redelivers
      }
    }
  }

  /**
   * The batch's transaction, and its outbox rows to the dispatcher. Undefined when it failed in a
   * way that leaves nothing to settle (stopping while the database was away): the batch has
   * been given back to the queue.
   */
  private async commit(batch: Delivery[]): Promise<CommittedBatch | undefined> {
    const now = this.deps.clock();
    const parsed = batch.map((d) => d.parsed);
    const events = parsed.flatMap((p) => (p.ok ? [p.event] : []));
    const traces = traceDeliveries(this.deps.tracing, this.deps.log, batch, parsed);
    const span = this.deps.tracing.batch(traces.map((t) => t.span));
    try {
      const { settlements, leased } = await this.commitBatch(batch, parsed, events, now, traces);
      span.end();
      if (leased) this.deps.outboxHandoff!.take(leased.rows, leased.lease);
      else this.deps.onCommitted();
      return { settlements, traces, committed: true };
    } catch (err) {
      span.end({ error: (err as Error).message });
      // Stopped while waiting for the database: back to the queue, not a retry spent.
      if (this.stopping.signal.aborted) {
        this.giveBack(batch, err as Error);
        return undefined;
      }
      // The database failed as a whole (busy past its timeout, disk full): every message of the
      // batch is retried on the schedule; past it, the broker's delivery limit takes over.
      const reason = `database: ${(err as Error).message}`;
      this.deps.log.error({ err }, 'database transaction failed; the batch will be retried');
      const settlements: Settlement[] = batch.map((d) => (attemptOf(d.msg) < this.deps.retryDelaysMs.length ? { action: 'retry', reason } : { action: 'requeue' }));
      return { settlements, traces, committed: false };
    }
  }

  /** Acks, retries and requeues the batch's deliveries as its commit decided, and logs them. */
  private async settleBatch(batch: Delivery[], { settlements, traces, committed }: CommittedBatch): Promise<void> {
    await this.adjustPrefetch(batch, committed);
    await this.settler.settle(batch, settlements, traces);
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
  ): Promise<{ settlements: Settlement[]; leased?: LeasedRows }> {
    const { store, log, outboxHandoff } = this.deps;
    for (;;) {
      try {
        return await store.transaction(async (tx) => {
          const state = await BatchState.load(tx, events);
          const settlements: Settlement[] = [];
          for (let i = 0; i < batch.length; i++) settlements.push(await this.handleOne(tx, state, batch[i]!, parsed[i]!, now, traces[i]!));
          const leased = await state.write(tx, now.getTime(), outboxHandoff && ((rows) => outboxHandoff.leaseFor(rows)));
          return { settlements, ...(leased ? { leased } : {}) };
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
   * budget and the sizes just seen, growing once a window's worth has been committed.
   */
  private async adjustPrefetch(batch: Delivery[], committed: boolean): Promise<void> {
    let largest = 0;
    for (const d of batch) largest = Math.max(largest, d.msg.content.length);
    const next = this.window.afterBatch(largest, committed ? batch.length : 0);
    if (next === undefined || this.stopped) return;
    await this.events.resize(next).catch((err: Error) => this.deps.log.warn({ err: err.message, prefetch: next }, 'could not change the prefetch'));
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
}

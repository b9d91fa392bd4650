/**
 * Settling a committed batch's deliveries with the broker: acks (one multiple-ack per channel
 * where the whole batch is plain acks), retries re-published to their delay queue with confirms
 * before their original is acked, requeues; then each delivery's metrics, log line and span.
 * Batches are settled one after the other, in order (see EventConsumer.drain).
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Broker } from '../broker/connection.js';
import type { Topology } from '../broker/topology.js';
import { withoutBrokerHeaders } from '../broker/headers.js';
import type { parseIncoming } from '../messages/schemas.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Tracing } from '../tracing/tracing.js';
import { ATTEMPT_HEADER, LAST_ERROR_HEADER, ROUTING_KEY_HEADER, attemptOf, knownType, originalRoutingKey } from './failure.js';
import { traceHeaders, type DeliveryTrace } from './event-traces.js';

/** A delivery from the events queue, parsed and validated on arrival. */
export interface Delivery {
  channel: Channel;
  msg: ConsumeMessage;
  /** performance.now() when it arrived. */
  receivedAt: number;
  parsed: ReturnType<typeof parseIncoming>;
}

/** What happens to a delivery once its batch has committed. */
export type Settlement =
  | { action: 'ack'; outcome: 'acked' | 'duplicate' | 'skipped' | 'failed'; reason?: string }
  | { action: 'retry'; reason: string }
  /** The database itself failed: let the broker redeliver (its delivery limit bounds this). */
  | { action: 'requeue' };

export interface SettlerDeps {
  broker: Broker;
  topology: Topology;
  retryDelaysMs: number[];
  log: Logger;
  metrics: Metrics;
  tracing: Tracing;
}

export class Settler {
  constructor(private readonly deps: SettlerDeps) {}

  /** Settles each delivery of the batch as `settlements` says (same order); never rejects for a closed channel. */
  async settle(batch: Delivery[], settlements: Settlement[], traces: DeliveryTrace[]): Promise<void> {
    const ackedAtOnce = this.ackAtOnce(batch, settlements);
    const outcomes = await Promise.all(batch.map((d, i) => this.settleOne(d, settlements[i]!, d.parsed, traces[i]!, ackedAtOnce.get(d.channel))));
    // A broker cut leaves a whole batch unsettled: one line for it, not one per delivery.
    const unsettled = outcomes.flatMap((o, i) => (o === 'redelivered' ? [traces[i]!.span.traceId] : []));
    if (unsettled.length > 0) this.deps.log.warn({ deliveries: unsettled.length, traceIds: unsettled }, 'could not settle deliveries (the channel closed); the broker redelivers them');
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

  /** `ackedAtOnce`: true if this delivery was acked with the batch, false if that failed. */
  private async settleOne(d: Delivery, s: Settlement, parsed: ReturnType<typeof parseIncoming>, trace: DeliveryTrace, ackedAtOnce?: boolean): Promise<string> {
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
      // (logged once for the batch by settle).
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

/**
 * Messages RabbitMQ dead-lettered: past the events queue's delivery limit (they kept crashing a
 * worker) or rejected. Each becomes a failed message that support can see and requeue; it is
 * acked on the dead-letter queue only once recorded.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import { recordFailure } from '../store/failed-messages.js';
import { findHandled } from '../store/inbox.js';
import { parseIncoming } from '../messages/schemas.js';
import type { Database } from '../store/database.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { LAST_ERROR_HEADER, failureFromMessage, type MessageHint } from './failure.js';
import { traceDeliveries } from './event-traces.js';
import type { Tracing } from '../tracing/tracing.js';

export interface DeadLetterDeps {
  db: Database;
  deliveryLimit: number;
  clock: () => Date;
  log: Logger;
  metrics: Metrics;
  tracing: Tracing;
}

export class DeadLetterRecorder {
  constructor(private readonly deps: DeadLetterDeps) {}

  /**
   * A message dead-lettered by the delivery limit (it kept crashing a worker) becomes a failed
   * message, unless its event was handled after all (committed, then the worker stopped before
   * the ack, at each delivery): that copy is only a duplicate, acked and logged.
   */
  async record(channel: Channel, msg: ConsumeMessage): Promise<void> {
    const parsed = parseIncoming(msg.content, msg.properties.contentType as string | undefined, msg.properties.headers);
    const [trace] = traceDeliveries(this.deps.tracing, this.deps.log, [{ msg, receivedAt: performance.now() }], [parsed]);
    const hint: MessageHint = parsed.ok
      ? { id: parsed.event.id, source: parsed.event.source, type: parsed.event.type, collaborationId: parsed.event.data.collaborationId }
      : parsed.hint;
    const death = (msg.properties.headers?.['x-death'] as { count?: number; reason?: string }[] | undefined)?.[0];
    const lastError = msg.properties.headers?.[LAST_ERROR_HEADER];
    // RabbitMQ dead-letters on the delivery after the limit-th return: limit + 1 deliveries.
    const deliveries = this.deps.deliveryLimit + 1;
    const reason = death?.reason === 'delivery_limit'
      ? `delivered ${deliveries} times (the queue's delivery limit is ${this.deps.deliveryLimit}) and never settled: each time, the worker holding it ` +
        'stopped (crashed, was killed or lost its connection) before acknowledging it. Either this message crashes the worker, or it was in ' +
        'flight while the worker restarted: check the worker logs of that time, then requeue it'
      : `dead-lettered by the broker (${death?.reason ?? 'unknown reason'})${lastError ? `; last error: ${String(lastError)}` : ''}`;
    const attempts = death?.reason === 'delivery_limit' ? deliveries : (death?.count ?? 0) + 1;
    try {
      const outcome = await this.deps.db.transaction(async (sql) => {
        if (parsed.ok && (await findHandled(sql, [parsed.event])).size > 0) return 'duplicate' as const;
        await recordFailure(sql, failureFromMessage(msg, hint, 'PoisonMessage', reason, attempts, trace!.incoming), this.deps.clock().getTime());
        return 'failed' as const;
      });
      channel.ack(msg);
      this.deps.metrics.messages.inc({ type: hint.type ?? 'invalid', outcome });
      const traceId = trace!.span.traceId;
      if (outcome === 'duplicate') this.deps.log.info({ eventId: hint.id, type: hint.type, traceId, deadLetterReason: death?.reason }, 'dead-lettered copy of an event handled before: dropped as a duplicate');
      else this.deps.log.warn({ eventId: hint.id, type: hint.type, traceId, reason }, 'poison message kept as failed');
      trace!.span.end({ attributes: { 'collab.outcome': outcome }, ...(outcome === 'failed' ? { error: reason } : {}) });
    } catch (err) {
      this.deps.log.error({ err, eventId: hint.id, traceId: trace!.span.traceId }, 'could not record a dead-lettered message; leaving it on the dead-letter queue');
      trace!.span.end({ error: (err as Error).message });
      try {
        channel.nack(msg, false, true);
      } catch {
        // channel gone: it stays on the queue
      }
    }
  }
}

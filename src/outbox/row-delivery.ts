/**
 * One outbox row's delivery attempt: an email through the mailer, or a command or event through
 * the broker with confirms, in a span that is a child of the context the row was written with.
 */
import type { OutboxRow } from '../store/outbox-entry.js';
import type { Broker } from '../broker/connection.js';
import type { Mailer } from '../mail/mailer.js';
import { isPermanentMailError } from '../mail/mailer.js';
import type { EmailRenderer } from '../mail/renderer.js';
import type { EmailPayload, PublishPayload } from '../handlers/effects.js';
import { deriveToken } from '../admin/activation-token.js';
import { activationUrl, senderFor } from '../mail/sender.js';
import type { TraceSpan, Tracing } from '../tracing/tracing.js';
import type { TraceExtension } from '../tracing/trace-context.js';
import type { Metrics } from '../metrics.js';

export interface RowDeliveryDeps {
  broker: Broker;
  mailer: Mailer;
  renderer: EmailRenderer;
  activationSecret: string;
  mailFrom: string | undefined;
  tracing: Tracing;
  metrics: Metrics;
}

/** What one attempt came to. `permanent`: the mail server's final word (5xx), no retry helps. */
export type DeliveryResult = { seq: number; traceId: string; ok: true } | { seq: number; traceId: string; ok: false; error: Error; permanent: boolean };

export class RowDelivery {
  constructor(private readonly deps: RowDeliveryDeps) {}

  /** Never rejects: a failure is a result. */
  async deliver(row: OutboxRow): Promise<DeliveryResult> {
    const started = performance.now();
    const span = this.span(row);
    try {
      if (row.channel === 'email') await this.sendEmail(row.id, row.payload as EmailPayload, span.extension);
      else await this.publish(row.payload as PublishPayload, span.extension);
      span.end();
      return { seq: row.seq, traceId: span.traceId, ok: true };
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      span.end({ error: `${error.name}: ${error.message}` });
      return { seq: row.seq, traceId: span.traceId, ok: false, error, permanent: row.channel === 'email' && isPermanentMailError(err) };
    } finally {
      this.deps.metrics.outboxAttemptSeconds.observe({ channel: row.channel }, (performance.now() - started) / 1000);
    }
  }

  private span(row: OutboxRow): TraceSpan {
    const attributes = { 'collab.outbox_id': row.id, 'collab.collaboration_id': row.collaborationId ?? undefined, 'collab.attempt': row.attempts + 1 };
    if (row.channel === 'email') return this.deps.tracing.delivery((row.payload as EmailPayload).trace, 'email', row.topic, attributes);
    const p = row.payload as PublishPayload;
    const message = p.message as Partial<TraceExtension> & { id?: string };
    const parent = message.traceparent ? { traceparent: message.traceparent, ...(message.tracestate ? { tracestate: message.tracestate } : {}) } : undefined;
    return this.deps.tracing.delivery(parent, 'publish', row.topic, {
      ...attributes,
      'messaging.system': 'rabbitmq',
      'messaging.operation.type': 'send',
      'messaging.destination.name': p.exchange,
      'messaging.rabbitmq.destination.routing_key': p.routingKey,
      'messaging.message.id': message.id,
    });
  }

  private async sendEmail(id: string, { model, activation }: EmailPayload, trace: TraceExtension): Promise<void> {
    const full = activation
      ? { ...model, activationUrl: activationUrl(model.brand, deriveToken(this.deps.activationSecret, activation.adminId, activation.nonce)) }
      : model;
    const email = this.deps.renderer.render(full);
    const label = `${model.kind}.${model.collaborationId}`;
    await this.deps.mailer.send({ id, label, from: senderFor(model.brand, this.deps.mailFrom), to: model.to, ...email, trace });
  }

  /**
   * The message as written, with the delivery's trace as its extension attributes (the span of
   * this publish when spans are recorded), and as AMQP headers for consumers that read those.
   */
  private async publish(p: PublishPayload, trace: TraceExtension): Promise<void> {
    const channels = this.deps.broker.current;
    if (!channels) throw new Error('broker not connected');
    const message = p.message as { id: string };
    await channels.publisher.publish(p.exchange, p.routingKey, Buffer.from(JSON.stringify({ ...message, ...trace })), {
      messageId: message.id,
      mandatory: p.mandatory,
      headers: { ...trace },
    });
  }
}

/**
 * The trace of each delivery: the context it arrived with, and the span of handling it.
 *
 * The context comes from the CloudEvent's distributed-tracing extension; failing that, from the
 * AMQP `traceparent` header (what OpenTelemetry's amqplib instrumentation writes, and what the
 * worker puts on a retry or a failed message, see traceHeaders); failing that, a new trace. A
 * malformed traceparent is ignored with a warning, never a reason to refuse the event.
 */
import type { ConsumeMessage } from 'amqplib';
import type { Logger } from '../logger.js';
import type { ParseResult } from '../messages/schemas.js';
import { newTraceContext, parseTraceContext, toExtension, type TraceContext, type TraceExtension } from '../tracing/trace-context.js';
import type { TraceSpan, Tracing } from '../tracing/tracing.js';

const NO_ATTRIBUTES = {};

export interface DeliveryTrace {
  /** The context the message arrived with, or the one it was given: kept with a retry or a failure. */
  incoming: TraceContext;
  /** Handling it: what it causes carries `span.extension`; log lines carry `span.traceId`. */
  span: TraceSpan;
}

/** `receivedAt`: performance.now() when the delivery arrived. */
export function traceDeliveries(
  tracing: Tracing,
  log: Logger,
  deliveries: readonly { msg: ConsumeMessage; receivedAt: number }[],
  parsed: readonly ParseResult[],
): DeliveryTrace[] {
  return deliveries.map(({ msg, receivedAt }, i) => {
    const p = parsed[i]!;
    const e = p.ok ? p.event : undefined;
    const fields = e
      ? { id: e.id, source: e.source, type: e.type, collaborationId: e.data.collaborationId, traceparent: e.traceparent, tracestate: e.tracestate }
      : (p as Extract<ParseResult, { ok: false }>).hint;
    const headers = msg.properties.headers ?? {};
    const fromBody = parseTraceContext(fields.traceparent, fields.tracestate);
    const fromHeader = typeof fromBody === 'object' ? undefined : parseTraceContext(headers.traceparent, headers.tracestate);
    const incoming = typeof fromBody === 'object' ? fromBody : typeof fromHeader === 'object' ? fromHeader : newTraceContext();
    if (fromBody === 'malformed' || fromHeader === 'malformed') {
      const [where, value] = fromBody === 'malformed' ? ['extension', fields.traceparent] : ['AMQP header', headers.traceparent];
      log.warn(
        { eventId: fields.id, type: fields.type, traceId: incoming.traceId, traceparent: String(value).slice(0, 100) },
        `malformed traceparent (${where as string}) ignored; the message is handled in trace ${incoming.traceId}`,
      );
    }
    const attributes = !tracing.exporting ? NO_ATTRIBUTES : {
      'messaging.system': 'rabbitmq',
      'messaging.destination.name': msg.fields.exchange,
      'messaging.rabbitmq.destination.routing_key': msg.fields.routingKey,
      'cloudevents.event_id': fields.id,
      'cloudevents.event_source': fields.source,
      'cloudevents.event_type': fields.type,
      'collab.collaboration_id': fields.collaborationId,
    };
    const span = tracing.event(incoming, fields.type ?? 'invalid message', attributes, performance.timeOrigin + receivedAt);
    return { incoming, span };
  });
}

/** AMQP headers that keep a message's trace when the worker publishes it again (retry, requeue). */
export function traceHeaders(context: TraceContext): TraceExtension {
  return toExtension(context);
}

/**
 * Spans recorded with OpenTelemetry's SDK and exported over OTLP/HTTP (JSON) in batches. Loaded
 * only when OTEL_EXPORTER_OTLP_ENDPOINT is set (see tracing.ts). Parents are passed explicitly
 * (no context manager): each span's parent is the context a message or an outbox row carried.
 * The exporter also honours OpenTelemetry's own OTEL_EXPORTER_OTLP_HEADERS, _TIMEOUT and
 * _COMPRESSION variables.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Link, type Span, type SpanContext } from '@opentelemetry/api';
import { setGlobalErrorHandler, TraceState } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { parseTraceContext, toExtension, type TraceContext, type TraceExtension } from './trace-context.js';
import type { SpanAttributes, SpanEnd, TraceSpan, Tracing, TracingSettings } from './tracing.js';

class RecordedSpan implements TraceSpan {
  readonly context: SpanContext;
  readonly extension: TraceExtension;

  constructor(private readonly span: Span) {
    this.context = span.spanContext();
    const state = this.context.traceState?.serialize();
    this.extension = toExtension({ traceId: this.context.traceId, spanId: this.context.spanId, flags: this.context.traceFlags, ...(state ? { state } : {}) });
  }

  get traceId(): string {
    return this.context.traceId;
  }

  end(result: SpanEnd = {}): void {
    if (result.attributes) this.span.setAttributes(withoutUndefined(result.attributes));
    if (result.error !== undefined) this.span.setStatus({ code: SpanStatusCode.ERROR, message: result.error });
    this.span.end();
  }
}

function withoutUndefined(attributes: SpanAttributes): Record<string, string | number | boolean> {
  return Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== undefined)) as Record<string, string | number | boolean>;
}

function parentContext(parent: TraceContext) {
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: parent.traceId,
    spanId: parent.spanId,
    traceFlags: parent.flags,
    isRemote: true,
    ...(parent.state ? { traceState: new TraceState(parent.state) } : {}),
  });
}

export class OtelTracing implements Tracing {
  readonly exporting = true;
  private readonly provider: TracerProvider;
  private readonly tracer;

  constructor(settings: TracingSettings, onExportError: (err: Error) => void) {
    // The SDK reports failed exports (collector down, refused) here, not to the caller.
    setGlobalErrorHandler((err) => onExportError(err instanceof Error ? err : new Error(String(err))));
    this.provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': settings.serviceName }),
      spanLimits: { linkCountLimit: settings.maxLinks },
      spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: settings.tracesUrl }), scheduledDelayMillis: settings.exportDelayMs })],
    });
    this.tracer = this.provider.getTracer('collab-worker');
  }

  event(parent: TraceContext, type: string, attributes: SpanAttributes, startTimeMs: number): TraceSpan {
    const span = this.tracer.startSpan(
      `process ${type}`,
      { kind: SpanKind.CONSUMER, startTime: startTimeMs, attributes: withoutUndefined({ 'messaging.operation.type': 'process', ...attributes }) },
      parentContext(parent),
    );
    return new RecordedSpan(span);
  }

  batch(events: readonly TraceSpan[]): TraceSpan {
    const links: Link[] = events.flatMap((e) => (e instanceof RecordedSpan ? [{ context: e.context }] : []));
    const span = this.tracer.startSpan('commit batch', { kind: SpanKind.INTERNAL, root: true, links, attributes: { 'messaging.batch.message_count': events.length } });
    return new RecordedSpan(span);
  }

  delivery(parent: TraceExtension | undefined, kind: 'email' | 'publish', topic: string, attributes: SpanAttributes): TraceSpan {
    const context = parent ? parseTraceContext(parent.traceparent, parent.tracestate) : undefined;
    const [name, spanKind] = kind === 'email' ? [`send email ${topic}`, SpanKind.CLIENT] : [`publish ${topic}`, SpanKind.PRODUCER];
    // A row without a (valid) context starts a trace of its own.
    const from = context && context !== 'malformed' ? parentContext(context) : ROOT_CONTEXT;
    const span = this.tracer.startSpan(name, { kind: spanKind, attributes: withoutUndefined(attributes) }, from);
    return new RecordedSpan(span);
  }

  reminderPass(): TraceSpan {
    return new RecordedSpan(this.tracer.startSpan('reminder pass', { kind: SpanKind.INTERNAL, root: true }));
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown();
  }
}

/**
 * The spans the worker makes, as a port. Without `OTEL_EXPORTER_OTLP_ENDPOINT` nothing is
 * recorded and nothing of OpenTelemetry's SDK is even loaded: the trace context is passed on as
 * it arrived (W3C Trace Context allows a hop that does not record to forward it unchanged), so
 * downstream spans hang from the upstream span that exists. With it, otel-tracing.ts records
 * and exports the spans, and what a span causes carries that span's own context.
 */
import { newTraceContext, toExtension, traceIdOf, type TraceContext, type TraceExtension } from './trace-context.js';

export type SpanAttributes = Record<string, string | number | boolean | undefined>;

export interface SpanEnd {
  /** Marks the span failed, with this description. */
  error?: string;
  attributes?: SpanAttributes;
}

export interface TraceSpan {
  /** What the work inside this span passes on: its own context when recorded, else its parent's. */
  readonly extension: TraceExtension;
  readonly traceId: string;
  end(result?: SpanEnd): void;
}

export interface Tracing {
  /** True when spans are recorded and exported. */
  readonly exporting: boolean;
  /** Handling one event, a child of the context it arrived with. `startTimeMs`: epoch milliseconds. */
  event(parent: TraceContext, type: string, attributes: SpanAttributes, startTimeMs: number): TraceSpan;
  /** One batch's transaction: a trace of its own (a batch mixes traces), linked to each event's span. */
  batch(events: readonly TraceSpan[]): TraceSpan;
  /**
   * One outbox delivery, a child of the context its row was written with; a row written before
   * rows carried one (undefined) starts a new trace.
   */
  delivery(parent: TraceExtension | undefined, kind: 'email' | 'publish', topic: string, attributes: SpanAttributes): TraceSpan;
  /** One reminder pass: a trace of its own, which the reminders and expiries it queues carry. */
  reminderPass(): TraceSpan;
  /** Exports what is still buffered; waits for it. */
  shutdown(): Promise<void>;
}

export interface TracingSettings {
  /** Where spans are POSTed: OTLP/HTTP (JSON), `<OTEL_EXPORTER_OTLP_ENDPOINT>/v1/traces`. */
  tracesUrl: string;
  serviceName: string;
  /** How long ended spans wait to be exported together (OTEL_BSP_SCHEDULE_DELAY), in ms. */
  exportDelayMs: number;
  /** Links a batch span may hold: one per event of the batch (BATCH_SIZE). */
  maxLinks: number;
}

/** A span that records nothing and passes on what it was given. */
function passOn(extension: TraceExtension): TraceSpan {
  return { extension, traceId: traceIdOf(extension), end: () => undefined };
}

const NOTHING = passOn(toExtension({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), flags: 0 }));

export const notRecording: Tracing = {
  exporting: false,
  event: (parent) => ({ extension: toExtension(parent), traceId: parent.traceId, end: () => undefined }),
  batch: () => NOTHING,
  delivery: (parent) => passOn(parent ?? toExtension(newTraceContext())),
  reminderPass: () => passOn(toExtension(newTraceContext())),
  shutdown: async () => undefined,
};

/**
 * The tracing the settings ask for. The SDK is imported only when spans are exported, so a
 * worker without an endpoint pays for none of it.
 */
export async function createTracing(settings: TracingSettings | undefined, onExportError: (err: Error) => void): Promise<Tracing> {
  if (!settings) return notRecording;
  const { OtelTracing } = await import('./otel-tracing.js');
  return new OtelTracing(settings, onExportError);
}

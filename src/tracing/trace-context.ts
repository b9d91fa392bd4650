/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) as the CloudEvents distributed-tracing
 * extension carries it: a `traceparent` and an optional `tracestate` attribute. Parsing and the
 * validity rules are OpenTelemetry's (version ff, all-zero ids and a version-00 value with extra
 * fields are invalid; tracestate keeps its valid members, at most 32).
 */
import { randomBytes } from 'node:crypto';
import { isSpanContextValid, TraceFlags } from '@opentelemetry/api';
import { parseTraceParent, TraceState } from '@opentelemetry/core';

/** The extension attributes, as they travel on CloudEvents, AMQP headers and email headers. */
export interface TraceExtension {
  traceparent: string;
  tracestate?: string;
}

export interface TraceContext {
  /** 32 lowercase hex digits. */
  traceId: string;
  /** 16 lowercase hex digits: the span the next hop is a child of. */
  spanId: string;
  /** Trace flags; bit 0 = sampled. */
  flags: number;
  /** The tracestate members that were valid, serialised; undefined when none. */
  state?: string;
}

/**
 * A context from the extension's attribute values, or `'malformed'` when a traceparent is there
 * but is not a valid one (wrong type, format or all-zero ids), or undefined when there is none.
 */
export function parseTraceContext(traceparent: unknown, tracestate: unknown): TraceContext | 'malformed' | undefined {
  if (traceparent === undefined || traceparent === null) return undefined;
  const parsed = typeof traceparent === 'string' ? parseTraceParent(traceparent) : null;
  if (!parsed || !isSpanContextValid(parsed)) return 'malformed';
  const state = typeof tracestate === 'string' ? new TraceState(tracestate).serialize() : '';
  return { traceId: parsed.traceId, spanId: parsed.spanId, flags: parsed.traceFlags, ...(state ? { state } : {}) };
}

/**
 * Random hex for new ids, drawn 256 traces at a time: one randomBytes call costs tens of
 * microseconds here (as much as handling an event), a slice of a string almost nothing.
 */
const POOL_TRACES = 256;
let pool = '';
let offset = 0;

/** A new trace, sampled (so that downstream records it too): for an event that came without one. */
export function newTraceContext(): TraceContext {
  if (offset === pool.length) {
    pool = randomBytes(24 * POOL_TRACES).toString('hex');
    offset = 0;
  }
  const traceId = pool.slice(offset, offset + 32);
  const spanId = pool.slice(offset + 32, offset + 48);
  offset += 48;
  // All-zero ids are invalid; with random ids this is only a guard.
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return newTraceContext();
  return { traceId, spanId, flags: TraceFlags.SAMPLED };
}

/** The attributes for a context (version 00, what this version of the spec defines). */
export function toExtension(context: TraceContext): TraceExtension {
  const traceparent = `00-${context.traceId}-${context.spanId}-${context.flags.toString(16).padStart(2, '0')}`;
  return context.state ? { traceparent, tracestate: context.state } : { traceparent };
}

/** The trace id of an extension the worker wrote itself (always valid version-00 text). */
export function traceIdOf(extension: TraceExtension): string {
  return extension.traceparent.slice(3, 35);
}

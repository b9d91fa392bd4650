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

/** A new trace, sampled (so that downstream records it too): for an event that came without one. */
export function newTraceContext(): TraceContext {
  const bytes = randomBytes(24);
  // All-zero ids are invalid; with 24 random bytes this is only a guard.
  if (bytes.every((b) => b === 0)) bytes[0] = 1;
  return { traceId: bytes.toString('hex', 0, 16), spanId: bytes.toString('hex', 16, 24), flags: TraceFlags.SAMPLED };
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

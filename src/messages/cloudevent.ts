/** The CloudEvents envelope of everything the worker publishes. */
import type { TraceExtension } from '../tracing/trace-context.js';

export const WORKER_SOURCE = '/collab-worker';

export interface CloudEvent<T = unknown> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time: string;
  datacontenttype: 'application/json';
  /** Distributed-tracing extension: the trace of the event (or reminder pass) that caused this one. */
  traceparent?: string;
  tracestate?: string;
  data: T;
}

export function envelope<T>(type: string, id: string, data: T, time: Date, trace?: TraceExtension): CloudEvent<T> {
  return { specversion: '1.0', id, source: WORKER_SOURCE, type, time: time.toISOString(), datacontenttype: 'application/json', ...trace, data };
}

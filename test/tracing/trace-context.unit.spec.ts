import { describe, expect, it } from 'vitest';
import { newTraceContext, parseTraceContext, toExtension } from '../../src/tracing/trace-context.js';
import { notRecording, createTracing } from '../../src/tracing/tracing.js';
import { loadConfig, ConfigError } from '../../src/config.js';

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('W3C trace context', () => {
  it('reads a valid traceparent and keeps the valid tracestate members', () => {
    expect(parseTraceContext(VALID, 'a=1,b@x=2,BAD KEY=3')).toEqual({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      flags: 1,
      state: 'a=1,b@x=2',
    });
    expect(toExtension(parseTraceContext(VALID, 'a=1') as never)).toEqual({ traceparent: VALID, tracestate: 'a=1' });
    // A later version may add fields: read what version 00 defines, pass it on as 00.
    expect(toExtension(parseTraceContext(`01${VALID.slice(2)}-more`, undefined) as never)).toEqual({ traceparent: VALID });
  });

  it('calls anything else malformed, and absence absence', () => {
    for (const bad of ['', 'garbage', VALID.toUpperCase(), `ff${VALID.slice(2)}`, `${VALID}-extra`, '00-00000000000000000000000000000000-00f067aa0ba902b7-01', '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', 42, {}]) {
      expect(parseTraceContext(bad, undefined), String(bad)).toBe('malformed');
    }
    expect(parseTraceContext(undefined, 'a=1')).toBeUndefined();
    expect(parseTraceContext(null, undefined)).toBeUndefined();
  });

  it('makes new traces that are valid, sampled and different', () => {
    const a = newTraceContext();
    const b = newTraceContext();
    expect(parseTraceContext(toExtension(a).traceparent, undefined)).toEqual(a);
    expect(a.flags).toBe(1);
    expect(a.traceId).not.toBe(b.traceId);
  });

  it('without an endpoint records nothing and passes the context on unchanged', async () => {
    const parent = parseTraceContext(VALID, 'a=1') as never;
    const span = notRecording.event(parent, 'collaboration.activated', {}, Date.now());
    expect(span.extension).toEqual({ traceparent: VALID, tracestate: 'a=1' });
    expect(notRecording.delivery(span.extension, 'publish', 'x', {}).extension).toBe(span.extension);
    expect(await createTracing(undefined, () => undefined)).toBe(notRecording);
  });
});

describe('tracing settings', () => {
  it('are off unless OTEL_EXPORTER_OTLP_ENDPOINT is set; spans go to <endpoint>/v1/traces', () => {
    expect(loadConfig({}).tracing).toBeUndefined();
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing).toEqual({
      tracesUrl: 'http://collector:4318/v1/traces',
      serviceName: 'collab-worker',
      exportDelayMs: 5000,
      maxLinks: 500,
    });
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example/base', OTEL_SERVICE_NAME: 'w2', OTEL_BSP_SCHEDULE_DELAY: '200', BATCH_SIZE: '50' }).tracing)
      .toEqual({ tracesUrl: 'https://otel.example/base/v1/traces', serviceName: 'w2', exportDelayMs: 200, maxLinks: 50 });
  });

  it('name the variable when a value is bad', () => {
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT="collector:4318" is not valid: expected an http\(s\) URL/);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).toThrow(ConfigError);
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_BSP_SCHEDULE_DELAY: '5s' })).toThrow(/OTEL_BSP_SCHEDULE_DELAY/);
  });
});

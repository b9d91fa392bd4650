/**
 * With OTEL_EXPORTER_OTLP_ENDPOINT set, the spans of one activation reach a local OTLP/HTTP
 * collector in one trace with the right parents: the upstream span → handling the event →
 * each delivery; the batch commit in a trace of its own, linked to the event; a reminder pass
 * → its email. What leaves the worker names the span that sent it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import { createHarness, fixtureJson, type Harness } from '../support/harness.js';
import { OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createTracing } from '../../src/tracing/tracing.js';
import { runReminderPass } from '../../src/reminders/reminder-pass.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const UPSTREAM_SPAN = 'b7ad6b7169203331';
const DAY = 86_400_000;
// OTLP's SpanKind numbering.
const KIND = { internal: 1, client: 3, producer: 4, consumer: 5 };

let h: Harness;
let receiver: OtlpReceiver;
let now = new Date('2026-11-22T09:00:00Z').getTime();

beforeEach(async () => {
  receiver = await new OtlpReceiver().start();
  h = await createHarness('spans');
});
afterEach(async () => {
  await h.close();
  await receiver.stop();
});

const settings = () =>
  loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '50', OTEL_SERVICE_NAME: 'collab-worker-test' }).tracing!;

function one(spans: ReceivedSpan[], name: string): ReceivedSpan {
  const found = spans.filter((s) => s.name === name);
  expect(found.map((s) => s.name), name).toEqual([name]);
  return found[0]!;
}

describe('span export (OpenTelemetry, OTLP/HTTP)', () => {
  it('exports the spans of one activation in its trace, with the right parents and links', async () => {
    await h.startWorker({ tracing: settings() }, () => new Date(now));
    const activation = fixtureJson('activated-digital-invoices-new.json');
    await h.publish({ ...activation, traceparent: `00-${TRACE_ID}-${UPSTREAM_SPAN}-01` });
    const [command] = await h.capture.waitForCommands(1);
    await h.capture.waitForEvents(2);
    const [email] = await h.smtp.waitForCount(1);

    const deliveries = ['publish subscription.service.activate', 'publish customer-admin.created', 'publish collaboration.invitation-sent', 'send email admin-welcome'];
    const spans = await receiver.waitForSpans('process, commit and four deliveries', (all) =>
      ['process collaboration.activated', 'commit batch', ...deliveries].every((n) => all.some((s) => s.name === n)),
    );

    const process = one(spans, 'process collaboration.activated');
    expect(process).toMatchObject({ traceId: TRACE_ID, parentSpanId: UPSTREAM_SPAN, kind: KIND.consumer, serviceName: 'collab-worker-test' });
    expect(process.attributes).toMatchObject({ 'cloudevents.event_id': activation.id, 'collab.collaboration_id': 'col-1001', 'collab.outcome': 'acked' });

    for (const name of deliveries) {
      const span = one(spans, name);
      expect(span, name).toMatchObject({ traceId: TRACE_ID, parentSpanId: process.spanId, kind: name.startsWith('publish') ? KIND.producer : KIND.client });
      expect(span.status.code ?? 0, name).not.toBe(2);
    }
    // What left names the span that sent it.
    expect(command!.body.traceparent).toBe(`00-${TRACE_ID}-${one(spans, 'publish subscription.service.activate').spanId}-01`);
    expect(email!.parsed.headers.get('traceparent')).toBe(`00-${TRACE_ID}-${one(spans, 'send email admin-welcome').spanId}-01`);

    // The batch mixes traces: its commit is a trace of its own, linked to the event's span.
    const commit = one(spans, 'commit batch');
    expect(commit.traceId).not.toBe(TRACE_ID);
    expect(commit.parentSpanId).toBeUndefined();
    expect(commit.links).toContainEqual({ traceId: TRACE_ID, spanId: process.spanId });
  });

  it('exports a reminder pass as a trace that its email continues', async () => {
    await h.startWorker({ tracing: settings() }, () => new Date(now));
    await h.publish(fixtureJson('activated-scanner-has-account.json'));
    await h.smtp.waitForCount(1);
    // Recorded before the clock jumps: a row still leased when its lease seems three days over is sent again.
    await waitFor(async () => (await h.query("SELECT 1 FROM outbox WHERE status != 'done'")).length === 0, 'the first deliveries recorded');

    now += 3 * DAY + 60_000;
    const tracing = await createTracing(settings(), (err) => {
      throw err;
    });
    const result = await runReminderPass(h.worker!.store, { reminderDays: [3, 7], invitationExpiryDays: 14 }, new Date(now), createLogger('silent'), 500, tracing);
    await tracing.shutdown();
    expect(result.reminders).toHaveLength(1);
    h.worker!.wakeDispatcher();
    const [, reminder] = await h.smtp.waitForCount(2);

    const spans = await receiver.waitForSpans('reminder pass and its email', (all) => ['reminder pass', 'send email reminder', 'publish collaboration.reminder-sent'].every((n) => all.some((s) => s.name === n)));
    const pass = one(spans, 'reminder pass');
    expect(pass).toMatchObject({ parentSpanId: undefined, kind: KIND.internal });
    expect(pass.attributes).toMatchObject({ 'collab.reminders': 1, 'collab.expired': 0 });
    for (const name of ['send email reminder', 'publish collaboration.reminder-sent']) {
      expect(one(spans, name), name).toMatchObject({ traceId: pass.traceId, parentSpanId: pass.spanId });
    }
    expect(reminder!.parsed.headers.get('traceparent')).toBe(`00-${pass.traceId}-${one(spans, 'send email reminder').spanId}-01`);
  });

  it('reports spans the collector refuses instead of dropping them silently', async () => {
    const collector = http.createServer((_req, res) => res.writeHead(400).end('no'));
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`;
    const errors: Error[] = [];
    const tracing = await createTracing({ tracesUrl: url, serviceName: 't', exportDelayMs: 10, maxLinks: 10 }, (err) => errors.push(err));
    tracing.reminderPass().end();
    await waitFor(() => errors.length > 0, 'the export error');
    await tracing.shutdown();
    await new Promise((resolve) => collector.close(resolve));
    expect(errors[0]!.message).toMatch(/400|Bad Request/);
  });
});

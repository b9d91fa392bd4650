/**
 * Trace context end to end, with no span export (the default): a real broker, SMTP server,
 * database and the real CLI. What arrives with an event comes back on what it causes; an event
 * without one (or with a malformed one) gets a new trace; log lines, failed messages, retries
 * and requeues keep it.
 */
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, fixtureJson, type Harness } from '../support/harness.js';
import { runCli } from '../support/cli.js';
import { workerEnv } from '../support/worker-process.js';
import { waitFor } from '../support/wait.js';
import { Worker } from '../../src/worker.js';
import { createLogger } from '../../src/logger.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;
const TRACEPARENT_SHAPE = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

type Line = Record<string, any>;
let h: Harness;
let lines: Line[];

beforeEach(async () => {
  h = await createHarness('traces');
  lines = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as Line);
      done();
    },
  });
  h.worker = await Worker.start({ config: h.config, log: createLogger('info', stream) });
});
afterEach(() => h.close());

const traceIdOf = (traceparent: unknown) => TRACEPARENT_SHAPE.exec(String(traceparent))?.[1];
const handledLines = (eventId: string) => lines.filter((l) => l.msg === 'message handled' && l.eventId === eventId);
/**
 * The event's "message handled" lines once the last one has `outcome`: the line is written when
 * the delivery is settled, which can come after its effects leave (they start at the commit).
 */
const settledLines = (eventId: string, outcome = 'acked') =>
  waitFor(() => handledLines(eventId).at(-1)?.outcome === outcome && handledLines(eventId), `the ${outcome} line of ${eventId}`);

describe('trace context', () => {
  it('comes back on the command, the invitation-sent event and in the email header', async () => {
    const activation = fixtureJson('activated-scanner-has-account.json');
    await h.publish({ ...activation, traceparent: TRACEPARENT, tracestate: 'upstream=abc,other=1' });

    const [command] = await h.capture.waitForCommands(1);
    const [event] = await h.capture.waitForEvents(1);
    const [email] = await h.smtp.waitForCount(1);
    expect(command!.routingKey).toBe('subscription.service.activate');
    expect(event!.routingKey).toBe('collaboration.invitation-sent');
    // Not recording spans, the worker passes the context on unchanged (W3C: a hop that records nothing may).
    for (const message of [command!, event!]) {
      expect(message.body).toMatchObject({ traceparent: TRACEPARENT, tracestate: 'upstream=abc,other=1' });
      expect(message.properties.headers).toMatchObject({ traceparent: TRACEPARENT });
    }
    expect(email!.parsed.headers.get('traceparent')).toBe(TRACEPARENT);
    expect(email!.parsed.headers.get('tracestate')).toBe('upstream=abc,other=1');
    expect(await settledLines(activation.id as string)).toMatchObject([{ traceId: TRACE_ID, outcome: 'acked' }]);
  });

  it('starts a new trace for an event without one: everything it causes carries it, and its log line', async () => {
    const activation = fixtureJson('activated-payroll-has-service.json');
    await h.publish(activation);
    const [event] = await h.capture.waitForEvents(1);
    const [email] = await h.smtp.waitForCount(1);
    const traceId = traceIdOf(event!.body.traceparent);
    expect(traceId).toBeDefined();
    expect(traceIdOf(email!.parsed.headers.get('traceparent'))).toBe(traceId);
    expect(await settledLines(activation.id as string)).toMatchObject([{ traceId }]);
  });

  it('ignores a malformed traceparent with a warning, handles the event in a new trace', async () => {
    const activation = fixtureJson('activated-payroll-has-service.json');
    await h.publish({ ...activation, traceparent: '00-not-a-trace-01', tracestate: 'dropped=1' });
    const [event] = await h.capture.waitForEvents(1);
    const traceId = traceIdOf(event!.body.traceparent)!;
    expect(traceId).toBeDefined();
    expect(event!.body.tracestate).toBeUndefined(); // W3C: no tracestate without a valid traceparent
    const warning = lines.find((l) => /malformed traceparent/.test(l.msg as string));
    expect(warning).toMatchObject({ level: 40, eventId: activation.id, traceId, traceparent: '00-not-a-trace-01' });
    expect(await settledLines(activation.id as string)).toMatchObject([{ traceId, outcome: 'acked' }]);
    expect(await h.query('SELECT id FROM failed_messages')).toEqual([]);
  });

  it('keeps the trace through retries and the failed record, and a requeue continues it', async () => {
    // An approval before its activation: retried on the schedule (150, 300, 600 ms), then failed.
    const approval = fixtureJson('approved.json');
    await h.publish(approval);
    // Its line is written once the failure is committed and the delivery settled.
    const attempts = await waitFor(() => handledLines(approval.id as string).some((l) => l.outcome === 'failed') && handledLines(approval.id as string), 'the failed approval');
    expect(attempts.map((l) => l.outcome)).toEqual(['retried', 'retried', 'retried', 'failed']);
    const traceId = attempts[0]!.traceId as string;
    expect(new Set(attempts.map((l) => l.traceId))).toEqual(new Set([traceId]));
    const [record] = await h.query<{ id: number; headers: string }>('SELECT id, headers FROM failed_messages');
    expect(traceIdOf((JSON.parse(record!.headers) as Line).traceparent)).toBe(traceId);

    // The activation arrives (in a trace of its own), support requeues the approval.
    await h.publish(fixtureJson('activated-digital-invoices-new.json'));
    await h.capture.waitForCommands(1);
    const requeued = await runCli(['failed', 'requeue', String(record!.id), '--actor', 'test'], workerEnv(h.config));
    expect(requeued.code, requeued.stderr).toBe(0);

    const commands = await h.capture.waitForCommands(2);
    const enable = commands.find((c) => c.routingKey === 'bookkeeping-invoicing.einvoice-receipt.enable')!;
    expect(traceIdOf(enable.body.traceparent)).toBe(traceId);
    // collaboration-approved goes to the agency user who activated it.
    const [approvedEmail] = await waitFor(() => h.smtp.to('anna.andersson@byran-norr.example').length === 1 && h.smtp.to('anna.andersson@byran-norr.example'), 'the approval email');
    expect(traceIdOf(approvedEmail!.parsed.headers.get('traceparent'))).toBe(traceId);
    expect((await settledLines(approval.id as string)).at(-1)).toMatchObject({ traceId, outcome: 'acked' });
  });
});

/**
 * What support reads in logs and metrics, from the real worker (real broker, SMTP server and
 * SQLite): one line per event, at a level that says whether someone must act, with the type and
 * the reason; and metrics that count what happened wherever it was started.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, fixture, fixtureJson, type Harness } from '../support/harness.js';
import { runCli } from '../support/cli.js';
import { closeConnections } from '../support/rabbit.js';
import { logLines } from '../support/log-lines.js';
import { workerEnv } from '../support/worker-process.js';
import { waitFor } from '../support/wait.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness('support-logs');
});
afterEach(() => h.close());

const WARN = 40;
const metrics = async () => (await fetch(`http://127.0.0.1:${h.worker!.httpPort}/metrics`)).text();

describe('refusals and failures in the log', () => {
  it('a refused message is a warning with its real type when known, and reason; the metric counts it under that type', async () => {
    const logs = logLines();
    await h.startWorker({}, undefined, logs.log);
    await h.publish(fixture('invalid/missing-task.json'));
    await h.publish(fixture('invalid/truncated-json.txt'), 'collaboration.activated');
    await h.publish({ ...fixtureJson('approved.json'), type: 'collaboration.unheard-of' }, 'collaboration.approved');
    const handled = await waitFor(() => {
      const lines = logs.lines.filter((l) => l.msg === 'message handled');
      return lines.length === 3 && lines;
    }, 'three refusals logged');
    expect(handled.map((l) => [l.level, l.type, l.outcome])).toEqual([
      [WARN, 'collaboration.activated', 'failed'],
      [WARN, 'collaboration.activated', 'failed'],
      [WARN, 'invalid', 'failed'],
    ]);
    expect(handled[0]!.reason).toMatch(/^data\.taskId is required/);
    expect(handled[1]!.reason).toMatch(/^body is not valid JSON/);
    const body = await metrics();
    expect(body).toMatch(/^collab_messages_total\{type="collaboration.activated",outcome="failed"\} 2$/m);
    expect(body).toMatch(/^collab_messages_total\{type="invalid",outcome="failed"\} 1$/m);
  });

  it('retries given up: the log line carries the reason, and the failed list names the error class once', async () => {
    const logs = logLines();
    await h.startWorker({}, undefined, logs.log);
    await h.publish(fixture('approved.json'));
    const [line] = await waitFor(() => {
      const lines = logs.lines.filter((l) => l.msg === 'message handled' && l.outcome === 'failed');
      return lines.length === 1 && lines;
    }, 'the approval to be given up');
    expect(line).toMatchObject({ level: WARN, type: 'collaboration.approved', reason: expect.stringMatching(/^gave up after 4 attempts: collaboration col-1001/) });

    // No integration listens: the command cannot be routed, and is given up after its retries.
    await h.capture.stop();
    await h.publish(fixture('activated-scanner-has-account.json'));
    const env = workerEnv(h.config);
    const listed = await waitFor(async () => {
      const out = (await runCli(['failed', 'list', '--type', 'subscription.service.activate'], env)).stdout;
      return out.includes('UnroutableError') && out;
    }, 'the unroutable command to be kept as failed');
    const reasonLine = listed.split('\n').find((l) => l.includes('UnroutableError'))!;
    expect(reasonLine).toMatch(/^\s+UnroutableError: gave up after 4 attempts: /);
    expect(reasonLine.match(/UnroutableError/g)).toHaveLength(1);
  });
});

describe('counted wherever it ran', () => {
  it('collab_reminders_total counts a reminder pass run from the CLI', async () => {
    await h.startWorker();
    await h.publish(fixture('activated-scanner-has-account.json'));
    await h.smtp.waitForCount(1);
    const at = new Date(Date.now() + 3 * 86_400_000 + 60_000).toISOString();
    const run = await runCli(['reminders', 'run', '--at', at, '--yes'], workerEnv(h.config));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('1 reminders');
    h.worker!.wakeDispatcher();
    await h.smtp.waitForCount(2);
    await waitFor(async () => /^collab_reminders_total\{kind="reminder"\} 1$/m.test(await metrics()), 'the reminder to be counted');
  });
});

describe('one event, one line', () => {
  it('a broker cut is one line, not one per channel', async () => {
    const logs = logLines();
    const worker = await h.startWorker({}, undefined, logs.log);
    const before = logs.lines.length;
    closeConnections(h.vhost.name);
    await waitFor(() => !worker.broker.connected, 'the cut to be noticed', 10_000);
    await waitFor(() => worker.broker.connected, 'the worker to reconnect', 30_000);
    const cut = logs.lines.slice(before).filter((l) => l.level >= WARN);
    expect(cut.map((l) => [l.level, l.msg])).toEqual([[WARN, 'broker connection lost; reconnecting']]);
  });

  it('deliveries left unsettled by a cut are one line for their batch, not one per delivery', async () => {
    // Small batches, so that the cut finds one in flight and more waiting behind it.
    const settings = { roles: ['consume' as const], batchSize: 10 };
    await h.startWorker(settings);
    await h.stopWorker();
    const template = fixtureJson('activated-payroll-has-service.json');
    const n = 400;
    for (let i = 0; i < n; i++) await h.publish({ ...template, id: `cut-${i}`, data: { ...template.data, collaborationId: `col-cut-${i}` } });

    // Once the worker has started, a batch's clock reading cuts the connection: that batch
    // commits, but can be acked no more.
    let cut = false;
    const clock = () => {
      if (h.worker && !cut) {
        cut = true;
        closeConnections(h.vhost.name);
      }
      return new Date();
    };
    const logs = logLines();
    await h.startWorker(settings, clock, logs.log);
    await waitFor(async () => (await h.query<{ n: number }>('SELECT COUNT(*) AS n FROM collaborations'))[0]!.n === n, `all ${n} handled`, 60_000);
    const outcomes = () => logs.lines.filter((l) => l.msg === 'message handled').map((l) => l.outcome as string);
    const redelivered = outcomes().filter((o) => o === 'redelivered').length;
    // the ones that could not be acked come back, and are dropped as duplicates
    await waitFor(() => outcomes().filter((o) => o === 'duplicate').length >= redelivered, 'the redelivered copies to be dropped');
    const unsettled = logs.lines.filter((l) => String(l.msg).startsWith('could not settle'));
    console.info(`support-logs: a cut left ${redelivered} deliveries unsettled, logged in ${unsettled.length} line(s)`);
    expect(cut).toBe(true);
    expect(redelivered).toBeGreaterThan(1);
    expect(unsettled.length).toBeLessThan(redelivered);
    expect(unsettled.reduce((sum, l) => sum + (l.deliveries as number), 0)).toBe(redelivered);
  });
});

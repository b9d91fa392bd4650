/**
 * What support does with failed messages, through the real CLI entry point, against a real
 * broker, SMTP server and database.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, fixture, fixtureJson, type Harness } from '../support/harness.js';
import { runCli } from '../support/cli.js';
import { workerEnv } from '../support/worker-process.js';
import { waitFor } from '../support/wait.js';

let h: Harness;
let env: Record<string, string>;
beforeEach(async () => {
  h = await createHarness('failed');
  env = workerEnv(h.config);
  await h.startWorker();
});
afterEach(() => h.close());

interface Listed {
  id: number;
  type: string | null;
  collaborationId: string | null;
  reason: string;
  errorClass: string;
  group: string;
  attempts: number;
  failedAt: string;
  status: string;
}

async function cli(...args: string[]) {
  const result = await runCli(args, env);
  expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

async function failedList(...extra: string[]): Promise<Listed[]> {
  return JSON.parse(await cli('failed', 'list', '--json', ...extra)) as Listed[];
}

async function waitForFailed(n: number): Promise<Listed[]> {
  return waitFor(async () => {
    const rows = await failedList();
    return rows.length >= n && rows;
  }, `${n} failed messages`);
}

describe('failed messages', () => {
  it('list, groups, show, archive: newest first, grouped by reason shape, everything kept', async () => {
    await h.publish(fixture('invalid/missing-task.json'));
    await h.publish(fixture('invalid/truncated-json.txt'), 'collaboration.activated');
    const other = fixtureJson('invalid/missing-task.json');
    await h.publish({ ...other, id: 'another-missing-task', data: { ...other.data, collaborationId: 'col-bad-3' } });
    const rows = await waitForFailed(3);

    // the truncated body has no readable type: its routing key names it
    expect(rows.map((r) => r.type).sort()).toEqual(['collaboration.activated', 'collaboration.activated', 'collaboration.activated']);
    expect(rows[0]!.collaborationId).toBe('col-bad-3'); // newest first
    for (const r of rows) expect(r).toMatchObject({ status: 'failed', attempts: 1, errorClass: 'InvalidMessage' });
    expect(rows.filter((r) => /taskId/.test(r.reason))).toHaveLength(2);
    expect(await failedList('--reason', 'JSON')).toHaveLength(1);
    expect(await failedList('--type', 'collaboration.activated')).toHaveLength(3);

    const groups = JSON.parse(await cli('failed', 'groups', '--json')) as { groupKey: string; count: number }[];
    expect(groups.map((g) => g.count)).toEqual([2, 1]);
    expect(groups[0]!.groupKey).toBe(rows.find((r) => r.collaborationId === 'col-bad-3')!.group);

    const shown = await cli('failed', 'show', String(rows[0]!.id));
    expect(shown).toContain('"collaborationId": "col-bad-3"'); // body, pretty-printed
    expect(shown).toContain('"routingKey": "collaboration.activated"');

    await cli('failed', 'archive', String(rows[0]!.id), '--actor', 'support-anna');
    expect((await failedList()).map((r) => r.id)).not.toContain(rows[0]!.id);
    expect(await cli('failed', 'show', String(rows[0]!.id))).toMatch(/archived\s+by support-anna/);
  });

  it('an approval given up on is handled once re-queued after its activation arrived, and the audit trail says who', async () => {
    await h.publish(fixture('approved.json'));
    const [failed] = await waitForFailed(1);
    expect(failed).toMatchObject({ type: 'collaboration.approved', collaborationId: 'col-1001', errorClass: 'RetriesExhausted', attempts: 4 });

    await h.publish(fixture('activated-digital-invoices-new.json'));
    await h.capture.waitForCommands(1);
    const out = await cli('failed', 'requeue', String(failed!.id), '--actor', 'support-bo');
    expect(out).toContain('1 of 1 requeued');
    const commands = await h.capture.waitForCommands(2);
    expect(commands[1]!.routingKey).toBe('bookkeeping-invoicing.einvoice-receipt.enable');
    expect(await failedList()).toEqual([]);
    const all = await failedList('--all');
    expect(all[0]!.status).toBe('requeued');
    expect(await cli('failed', 'show', String(failed!.id))).toMatch(/requeued\s+by support-bo/);

    // requeueing again is refused (it is no longer failed) and changes nothing
    const again = await runCli(['failed', 'requeue', String(failed!.id)], env);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('status is requeued');
  });

  it('requeue --group sends back only that group', async () => {
    for (const id of ['x1', 'x2']) {
      await h.publish({ ...fixtureJson('approved.json'), id, data: { collaborationId: `col-${id}`, approvedBy: { name: 'A', email: 'a@example.com' } } });
    }
    await h.publish(fixture('invalid/truncated-json.txt'), 'collaboration.activated');
    const rows = await waitForFailed(3);
    const group = rows.find((r) => r.errorClass === 'RetriesExhausted')!.group;
    const out = await cli('failed', 'requeue', '--group', group);
    expect(out).toContain('2 of 2 requeued');
    // back they come, and fail again after their retries (still no activation): one row each, not two
    await waitFor(async () => (await failedList()).filter((r) => r.errorClass === 'RetriesExhausted').length === 2, 'both to fail again');
    const after = await failedList('--all');
    expect(after).toHaveLength(3);
    expect(after.filter((r) => r.errorClass === 'RetriesExhausted').map((r) => r.attempts)).toEqual([8, 8]);
  });
});

describe('mail server trouble', () => {
  it('a mail server refusing for a while (4xx) is retried on the schedule and the email arrives once', async () => {
    h.smtp.refuseWith = { code: 451, message: 'try again later' };
    await h.publish(fixture('activated-payroll-has-service.json'));
    await waitFor(async () => (await h.query<{ attempts: number }>("SELECT attempts FROM outbox WHERE channel = 'email' AND attempts >= 1")).length === 1, 'a failed attempt');
    h.smtp.refuseWith = undefined;
    await h.smtp.waitForCount(1);
    await h.stopWorker();
    expect(h.smtp.received).toHaveLength(1);
    expect(await failedList()).toEqual([]);
  });

  it('a mail server down longer than the schedule: failed, then requeued once it is back, delivered once', async () => {
    h.smtp.refuseWith = { code: 421, message: 'service not available' };
    await h.publish(fixture('activated-payroll-has-service.json'));
    const [failed] = await waitForFailed(1);
    expect(failed).toMatchObject({ type: 'invitation', collaborationId: 'col-1003', attempts: 4 });
    expect(failed!.reason).toMatch(/421/);

    h.smtp.refuseWith = undefined;
    expect(await cli('failed', 'requeue', '--all')).toContain('1 of 1 requeued');
    h.worker!.wakeDispatcher();
    await h.smtp.waitForCount(1);
    await h.stopWorker();
    expect(h.smtp.received).toHaveLength(1);
    expect(h.smtp.received[0]!.envelopeTo).toEqual(['orjan@akeri-ostlund.example']);
  });

  it('a recipient refused with 5xx is a permanent failure: not retried', async () => {
    h.smtp.refuseWith = { code: 550, message: 'no such mailbox' };
    await h.publish(fixture('activated-payroll-has-service.json'));
    const [failed] = await waitForFailed(1);
    expect(failed).toMatchObject({ type: 'invitation', attempts: 1 });
    expect(failed!.reason).toMatch(/550/);
  });
});

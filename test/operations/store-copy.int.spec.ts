/**
 * Moving up: `npm run cli -- store copy --to postgres://…` from a SQLite database a worker has
 * used (pending invitations, an admin with an activation link, failed messages), then a worker
 * on PostgreSQL carries on: the due reminders go out with working links, and a failed message
 * is requeued and handled.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, fixture, type Harness } from '../support/harness.js';
import { createStoreWorld, type StoreWorld } from '../support/stores.js';
import { runCli } from '../support/cli.js';
import { workerEnv } from '../support/worker-process.js';
import { waitFor } from '../support/wait.js';

const DAY = 86_400_000;

let h: Harness;
let target: StoreWorld;
beforeEach(async () => {
  h = await createHarness('copy', {}, 'sqlite');
  target = await createStoreWorld('postgres', 'copy');
});
afterEach(async () => {
  await h.close();
  await target.close();
});

const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('hex');
const tokenIn = (text: string | undefined) => decodeURIComponent(/token=([A-Za-z0-9_%-]+)/.exec(text ?? '')![1]!);

describe('store copy', () => {
  it('copies a SQLite database into an empty PostgreSQL one, refuses one with data, and a worker there carries on', { timeout: 120_000 }, async () => {
    // On SQLite: an approval that overtook its activation gives up (failed), a message is refused
    // (failed), two invitations stay pending.
    await h.startWorker();
    await h.publish(fixture('approved.json'));
    await waitFor(async () => (await h.query("SELECT 1 FROM failed_messages WHERE error_class = 'RetriesExhausted'")).length === 1, 'the approval to give up');
    await h.publish(fixture('invalid/missing-task.json'));
    await h.publish(fixture('activated-digital-invoices-new.json'));
    await h.publish(fixture('activated-scanner-has-account.json'));
    const [welcome] = await h.smtp.waitForCount(2);
    await waitFor(async () => (await h.query("SELECT 1 FROM outbox WHERE status != 'done'")).length === 0, 'the outbox drained');
    await waitFor(async () => (await h.query('SELECT 1 FROM failed_messages')).length === 2, 'two failed messages');
    await h.stopWorker();
    const invitedAt = Math.max(...(await h.query<{ invited_at: number }>('SELECT invited_at FROM collaborations')).map((r) => r.invited_at));
    const [{ lastSeq }] = (await h.query<{ lastSeq: number }>('SELECT MAX(seq) AS lastSeq FROM outbox')) as [{ lastSeq: number }];

    const sqliteEnv = workerEnv(h.config);
    const url = target.settings.databaseUrl!;
    const copy = await runCli(['store', 'copy', '--to', url], sqliteEnv);
    expect(copy.code, copy.stderr).toBe(0);
    const counts = Object.fromEntries(
      copy.stdout.split('\n').flatMap((line) => {
        const m = /^(\w+)\s+(\d+)\s+(\d+)$/.exec(line);
        return m ? [[m[1], [Number(m[2]), Number(m[3])]]] : [];
      }),
    );
    expect(counts).toMatchObject({ collaborations: [2, 2], customer_admins: [1, 1], failed_messages: [2, 2], failed_message_audit: [0, 0] });
    expect(counts.inbox![0]).toBeGreaterThanOrEqual(2);
    expect(counts.outbox![0]).toBeGreaterThanOrEqual(7);
    for (const [sqlite, postgres] of Object.values(counts) as [number, number][]) expect(postgres).toBe(sqlite);
    expect(copy.stdout).toContain(`set ACTIVATION_SECRET to its content`);

    const again = await runCli(['store', 'copy', '--to', url], sqliteEnv);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/the target database already holds data \(collaborations: 2 rows, .*\): store copy only fills an empty database/);

    // On PostgreSQL, with the SQLite setup's secret: the links already sent must keep working.
    const activationSecret = fs.readFileSync(`${h.config.databasePath}.secret`, 'utf8').trim();
    await h.startWorker({ databaseUrl: url, activationSecret });
    const pgEnv = { ...sqliteEnv, DATABASE_URL: url, ACTIVATION_SECRET: activationSecret };

    const reminders = await runCli(['reminders', 'run', '--at', new Date(invitedAt + 3 * DAY).toISOString(), '--yes', '--json'], pgEnv);
    expect(reminders.code, reminders.stderr).toBe(0);
    expect((JSON.parse(reminders.stdout) as { reminders: { collaborationId: string }[] }).reminders.map((r) => r.collaborationId).sort()).toEqual(['col-1001', 'col-1002']);
    // Queued by another process: the worker hears of it through LISTEN/NOTIFY.
    const mails = await h.smtp.waitForCount(4);
    const reminderToKarin = mails.slice(2).find((m) => m.envelopeTo[0] === 'karin.berg@kaffekoppen.example')!;
    expect(tokenIn(reminderToKarin.parsed.text)).toBe(tokenIn(welcome!.parsed.text));
    const [admin] = await target.query<{ token_hash: string }>('SELECT token_hash FROM customer_admins');
    expect(admin!.token_hash).toBe(sha256(tokenIn(reminderToKarin.parsed.text)));

    const listed = await runCli(['failed', 'list', '--json'], pgEnv);
    const approval = (JSON.parse(listed.stdout) as { id: number; type: string; errorClass: string }[]).find((m) => m.type === 'collaboration.approved')!;
    expect(approval.errorClass).toBe('RetriesExhausted');
    const requeued = await runCli(['failed', 'requeue', String(approval.id), '--actor', 'support-anna'], pgEnv);
    expect(requeued.code, requeued.stderr).toBe(0);
    expect(requeued.stdout).toContain('1 of 1 requeued');
    await waitFor(() => h.capture.commands.some((c) => c.routingKey === 'bookkeeping-invoicing.einvoice-receipt.enable'), 'the approval handled on PostgreSQL');
    await waitFor(async () => (await target.query<{ state: string }>("SELECT state FROM collaborations WHERE id = 'col-1001'"))[0]!.state === 'active', 'col-1001 active');
    const shown = await runCli(['failed', 'show', String(approval.id)], pgEnv);
    expect(shown.stdout).toMatch(/requeued\s+by support-anna/);
    // rows written after the copy are numbered after the copied ones
    const seqs = await target.query<{ seq: number }>("SELECT seq FROM outbox WHERE topic = 'reminder'");
    expect(Math.min(...seqs.map((r) => Number(r.seq)))).toBeGreaterThan(lastSeq);
  });
});

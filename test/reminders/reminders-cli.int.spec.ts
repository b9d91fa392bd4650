/**
 * `reminders run` by hand, on a real SQLite file: --dry-run shows what a pass would send and to
 * whom (masked) and changes nothing; a time ahead of now is refused without --yes, because the
 * pass would expire live invitations and email agencies early.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Database } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrations.js';
import { saveCollaborations } from '../../src/store/collaborations.js';
import type { ActivatedData } from '../../src/messages/incoming.js';
import { fixtureJson } from '../support/harness.js';
import { runCli } from '../support/cli.js';

const DAY = 86_400_000;
let dir: string;
let env: Record<string, string>;
let invitedAt: number;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'collab-reminders-cli-'));
  env = { DATABASE_PATH: path.join(dir, 'worker.db') };
  invitedAt = Date.now() - 3_600_000; // invited an hour ago: nothing is due yet
  const db = await Database.open(env.DATABASE_PATH!);
  try {
    await migrate(db);
    await db.transaction(async (sql) => {
      const collaborations = ['activated-scanner-has-account.json', 'activated-payroll-has-service.json'].map((file) => {
        const activation = fixtureJson<{ data: ActivatedData }>(file).data;
        return {
          id: activation.collaborationId, state: 'pending' as const, invitationKind: 'invitation' as const, activation, invitedAt,
          expiresAt: invitedAt + 14 * DAY, remindersSent: 0, nextDueAt: invitedAt + 3 * DAY, approvedAt: null, endedAt: null,
        };
      });
      await saveCollaborations(sql, collaborations, invitedAt);
    });
  } finally {
    await db.close();
  }
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function state() {
  const db = await Database.open(env.DATABASE_PATH!, { readOnly: true });
  try {
    const invitations = await db.all<{ id: string; state: string; reminders_sent: number }>('SELECT id, state, reminders_sent FROM collaborations ORDER BY id');
    const outbox = await db.all<{ topic: string; payload: string }>("SELECT topic, payload FROM outbox WHERE channel = 'email' ORDER BY seq");
    return { invitations, emails: outbox.map((r) => [r.topic, (JSON.parse(r.payload) as { model: { to: { email: string } } }).model.to.email]) };
  } finally {
    await db.close();
  }
}

const untouched = {
  invitations: [
    { id: 'col-1002', state: 'pending', reminders_sent: 0 },
    { id: 'col-1003', state: 'pending', reminders_sent: 0 },
  ],
  emails: [],
};

describe('reminders run', () => {
  it('--dry-run shows the reminders and expiries a pass would queue, to whom (masked), and changes nothing', async () => {
    const in3Days = new Date(invitedAt + 3 * DAY + 2 * 3_600_000).toISOString();
    const reminders = await runCli(['reminders', 'run', '--dry-run', '--at', in3Days], env);
    expect(reminders.code, reminders.stderr).toBe(0);
    expect(reminders.stdout).toBe(
      'would send reminder 1 for col-1002 to s***@fjallbyggarna.example\n' +
        'would send reminder 1 for col-1003 to o***@akeri-ostlund.example\n' +
        `${in3Days}: dry run, nothing changed: 2 reminders, 0 expired\n`,
    );

    const in15Days = new Date(invitedAt + 15 * DAY).toISOString();
    const expiries = await runCli(['reminders', 'run', '--dry-run', '--at', in15Days, '--json'], env);
    expect(JSON.parse(expiries.stdout)).toEqual({
      at: in15Days,
      dryRun: true,
      reminders: [],
      expired: [
        { collaborationId: 'col-1002', to: 'e***@siffror.example' },
        { collaborationId: 'col-1003', to: 'a***@byran-norr.example' },
      ],
    });
    expect(await state()).toEqual(untouched);
  });

  it('refuses --at ahead of now without --yes, and with --yes queues what the dry run showed', async () => {
    const in3Days = new Date(invitedAt + 3 * DAY + 2 * 3_600_000).toISOString();
    const refused = await runCli(['reminders', 'run', '--at', in3Days], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `error: --at ${in3Days} is 3 days ahead: the pass would send, now, the reminders and expiries due by then (emails to customers and agencies, ` +
        'invitations expired early). See what it would do with --dry-run; add --yes to run it anyway.\n',
    );
    expect(await state()).toEqual(untouched);

    const planned = JSON.parse((await runCli(['reminders', 'run', '--dry-run', '--at', in3Days, '--json'], env)).stdout) as { reminders: { collaborationId: string; number: number }[] };
    const ran = await runCli(['reminders', 'run', '--at', in3Days, '--yes', '--json'], env);
    expect(ran.code, ran.stderr).toBe(0);
    expect(ran.stderr).toBe(`running as if it were ${in3Days}, 3 days ahead (--yes): reminders and expiries due by then are queued now\n`);
    expect((JSON.parse(ran.stdout) as { reminders: unknown[] }).reminders).toEqual(planned.reminders.map(({ collaborationId, number }) => ({ collaborationId, number })));
    expect(await state()).toEqual({
      invitations: [
        { id: 'col-1002', state: 'pending', reminders_sent: 1 },
        { id: 'col-1003', state: 'pending', reminders_sent: 1 },
      ],
      emails: [
        ['reminder', 'sam@fjallbyggarna.example'],
        ['reminder', 'orjan@akeri-ostlund.example'],
      ],
    });
  });
});

/**
 * Operator commands behind another process's long write, on a real SQLite file: the commands
 * that only read answer at once (they never take the write lock); a command that writes says
 * on stderr that it waits, then does its work once the lock is free.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sqlite3 from 'sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Database } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrations.js';
import { recordFailure } from '../../src/store/failed-messages.js';
import { saveCollaborations } from '../../src/store/collaborations.js';
import type { ActivatedData } from '../../src/messages/incoming.js';
import { fixtureJson } from '../support/harness.js';
import { runCli, startCli } from '../support/cli.js';
import { waitFor } from '../support/wait.js';

const T0 = Date.parse('2026-11-22T10:02:11Z');
let dir: string;
let env: Record<string, string>;
let writer: sqlite3.Database | undefined;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'collab-cli-locks-'));
  env = { DATABASE_PATH: path.join(dir, 'worker.db') };
  const db = await Database.open(env.DATABASE_PATH!);
  try {
    await migrate(db);
    await db.transaction(async (sql) => {
      await recordFailure(sql, {
        failureKey: 'k1', origin: 'queue', messageId: 'm1', source: '/practice', type: 'collaboration.approved', collaborationId: 'col-9',
        exchange: 'collab.events', routingKey: 'collaboration.approved', contentType: 'application/json', headers: {},
        body: Buffer.from('{not json'), errorClass: 'InvalidJson', reason: 'the body is not JSON', groupKey: 'g1', attempts: 1,
      }, T0);
      const activation = fixtureJson<{ data: ActivatedData }>('activated-scanner-has-account.json').data;
      await saveCollaborations(sql, [{
        id: activation.collaborationId, state: 'pending', invitationKind: 'invitation', activation, invitedAt: T0, expiresAt: T0 + 14 * 86_400_000,
        remindersSent: 0, nextDueAt: T0 + 3 * 86_400_000, approvedAt: null, endedAt: null,
      }], T0);
    });
  } finally {
    await db.close();
  }
});

afterEach(async () => {
  if (writer) await new Promise((resolve) => writer!.close(resolve));
  writer = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Another process's long write: a real SQLite connection inside BEGIN IMMEDIATE, with a row written. */
async function holdWriteLock(): Promise<() => Promise<void>> {
  const exec = (sql: string) => new Promise<void>((resolve, reject) => writer!.exec(sql, (err) => (err ? reject(err) : resolve())));
  writer = await new Promise<sqlite3.Database>((resolve, reject) => {
    const handle = new sqlite3.Database(env.DATABASE_PATH!, (err) => (err ? reject(err) : resolve(handle)));
  });
  await exec(`BEGIN IMMEDIATE; UPDATE collaborations SET updated_at = updated_at + 1;`);
  return () => exec('COMMIT');
}

describe('behind a long write', () => {
  it('failed list, failed groups, failed show and invitations list answer without the write lock', async () => {
    await holdWriteLock();
    for (const args of [['failed', 'list', '--json'], ['failed', 'groups'], ['failed', 'show', '1'], ['invitations', 'list', '--json']]) {
      const result = await runCli(args, env);
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(0);
      expect(result.stderr).toBe('');
      if (args[0] === 'failed' && args[1] === 'list') expect(JSON.parse(result.stdout)).toMatchObject([{ id: 1, reason: 'the body is not JSON' }]);
      if (args[1] === 'groups') expect(result.stdout).toContain('InvalidJson: ');
      if (args[1] === 'show') expect(result.stdout).toContain('{not json');
      if (args[0] === 'invitations') expect(JSON.parse(result.stdout)).toMatchObject([{ collaborationId: 'col-1002', state: 'pending' }]);
    }
  });

  it('a command that writes says it waits for the lock, then does its work when the lock is free', async () => {
    const release = await holdWriteLock();
    const archive = startCli(['failed', 'archive', '1', '--actor', 'test'], env);
    await waitFor(() => archive.stderr().includes('waiting for the write lock of'), 'the command to say it waits');
    expect(archive.stderr()).toMatch(/^waiting for the write lock of .*worker\.db: another process holds it \(a worker's transaction, another command\); up to 60 s\n$/);
    expect(archive.stdout()).toBe('');
    await release();
    const result = await archive.done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('#1 archived\n1 of 1 archived\n');
    expect(JSON.parse((await runCli(['failed', 'list', '--all', '--json'], env)).stdout)).toMatchObject([{ id: 1, status: 'archived' }]);
  });
});

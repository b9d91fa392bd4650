/**
 * `npm run cli -- prune` against a real SQLite file, run as a user runs it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Database } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrations.js';
import { addToOutbox, markDelivered } from '../../src/store/outbox.js';
import { markHandled } from '../../src/store/inbox.js';
import { runCli } from '../support/cli.js';

const DAY = 86_400_000;

let dir: string;
let databasePath: string;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'collab-prune-'));
  databasePath = path.join(dir, 'worker.db');
  const db = await Database.open(databasePath);
  try {
    await migrate(db);
    const now = Date.now();
    // done 40 and 10 days ago, one still pending; marks of 40 and 10 days ago
    await db.transaction(async (sql) => {
      const entries = ['done-40', 'done-10', 'pending'].map((id) => ({ id, channel: 'email' as const, topic: 'reminder', collaborationId: null, payload: {} }));
      await addToOutbox(sql, entries, now - 41 * DAY);
      const seq = async (id: string) => (await sql.get<{ seq: number }>(`SELECT seq FROM outbox WHERE id = ?`, [id]))!.seq;
      await markDelivered(sql, [await seq('done-40')], now - 40 * DAY);
      await markDelivered(sql, [await seq('done-10')], now - 10 * DAY);
      await markHandled(sql, [{ source: 'urn:practice', id: 'e-40', type: 'collaboration.activated' }], now - 40 * DAY);
      await markHandled(sql, [{ source: 'urn:practice', id: 'e-10', type: 'collaboration.activated' }], now - 10 * DAY);
    });
  } finally {
    await db.close();
  }
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function remaining(): Promise<{ outbox: string[]; inbox: string[] }> {
  const db = await Database.open(databasePath);
  try {
    const outbox = (await db.all<{ id: string }>('SELECT id FROM outbox ORDER BY seq')).map((r) => r.id);
    const inbox = (await db.all<{ id: string }>('SELECT id FROM inbox ORDER BY id')).map((r) => r.id);
    return { outbox, inbox };
  } finally {
    await db.close();
  }
}

describe('cli prune', () => {
  it('deletes what is older than RETENTION_DAYS, or --older-than-days, and says what it deleted', async () => {
    const first = await runCli(['prune'], { DATABASE_PATH: databasePath });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^deleted 1 done outbox rows and 1 inbox marks older than 30 days \(before \d{4}-\d\d-\d\dT/);
    expect(await remaining()).toEqual({ outbox: ['done-10', 'pending'], inbox: ['e-10'] });

    const second = await runCli(['prune', '--older-than-days', '5', '--json'], { DATABASE_PATH: databasePath, RETENTION_DAYS: '0' });
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ days: 5, outbox: 1, inbox: 1 });
    expect(await remaining()).toEqual({ outbox: ['pending'], inbox: [] });
  });

  it('deletes nothing when RETENTION_DAYS is 0, and refuses a bad --older-than-days', async () => {
    const off = await runCli(['prune'], { DATABASE_PATH: databasePath, RETENTION_DAYS: '0' });
    expect(off.code).toBe(0);
    expect(off.stdout).toContain('retention is off (RETENTION_DAYS=0): nothing deleted');

    const bad = await runCli(['prune', '--older-than-days', '0'], { DATABASE_PATH: databasePath });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--older-than-days "0" is not a whole number of days ≥ 1');
    expect((await remaining()).outbox).toHaveLength(3);
  });
});

/**
 * Retention against a real SQLite file, migrated as the worker migrates it: what goes, what
 * stays, chunking, and the scheduler around it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Database, type Sql } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrations.js';
import { addToOutbox, markDelivered, markUndeliverable } from '../../src/store/outbox.js';
import { markHandled } from '../../src/store/inbox.js';
import { saveCollaborations } from '../../src/store/collaborations.js';
import { insertCustomerAdmins } from '../../src/store/customer-admins.js';
import { recordFailure } from '../../src/store/failed-messages.js';
import { pruneOld, retentionCutoff } from '../../src/store/retention.js';
import { startRetentionScheduler } from '../../src/maintenance/retention-scheduler.js';
import { Metrics } from '../../src/metrics.js';
import { createLogger } from '../../src/logger.js';
import type { ActivatedData } from '../../src/messages/incoming.js';

const DAY = 86_400_000;
const NOW = new Date('2026-11-22T09:00:00Z').getTime();
const BEFORE = retentionCutoff(NOW, 30);

let dir: string;
let db: Database;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'collab-retention-'));
  db = await Database.open(path.join(dir, 'worker.db'));
  await migrate(db);
});
afterEach(async () => {
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Outbox rows with ids `<prefix>-<n>`, created `createdAt`; returns their seqs in order. */
async function outboxRows(prefix: string, count: number, createdAt: number): Promise<number[]> {
  const ids = Array.from({ length: count }, (_, n) => `${prefix}-${n}`);
  await db.transaction((sql) =>
    addToOutbox(sql, ids.map((id) => ({ id, channel: 'email', topic: 'reminder', collaborationId: 'col-1', payload: { id } })), createdAt),
  );
  const rows = await db.all<{ seq: number }>(`SELECT seq FROM outbox WHERE id LIKE ? ORDER BY seq`, [`${prefix}-%`]);
  return rows.map((r) => r.seq);
}

async function delivered(prefix: string, count: number, createdAt: number, doneAt: number): Promise<void> {
  const seqs = await outboxRows(prefix, count, createdAt);
  await db.transaction((sql) => markDelivered(sql, seqs, doneAt));
}

async function handled(source: string, ids: string[], at: number): Promise<void> {
  await db.transaction((sql) => markHandled(sql, ids.map((id) => ({ source, id, type: 'collaboration.activated' })), at));
}

async function outboxIds(): Promise<string[]> {
  return (await db.all<{ id: string }>(`SELECT id FROM outbox ORDER BY seq`)).map((r) => r.id);
}

async function inboxIds(): Promise<string[]> {
  return (await db.all<{ id: string }>(`SELECT id FROM inbox ORDER BY source, id`)).map((r) => r.id);
}

const count = async (table: string) => (await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))!.n;

describe('pruneOld', () => {
  it('deletes done outbox rows and inbox marks older than the cut-off, and nothing else', async () => {
    await delivered('old-done', 3, NOW - 40 * DAY, NOW - 35 * DAY);
    await delivered('at-cutoff', 1, NOW - 40 * DAY, BEFORE);
    await delivered('recent-done', 2, NOW - 40 * DAY, NOW - DAY);
    await outboxRows('old-pending', 2, NOW - 40 * DAY);
    const [failedSeq] = await outboxRows('old-failed', 1, NOW - 40 * DAY);
    await db.transaction((sql) => markUndeliverable(sql, failedSeq!, '550 no such user'));

    // old and recent marks interleaved in key order
    await handled('urn:practice', ['e-1', 'e-3', 'e-5'], NOW - 31 * DAY);
    await handled('urn:practice', ['e-2', 'e-4'], NOW - 29 * DAY);
    await handled('urn:advisor', ['a-1'], NOW - 365 * DAY);
    await handled('urn:advisor', ['a-2'], BEFORE);

    const fixture = path.resolve(import.meta.dirname, '../fixtures/activated-scanner-has-account.json');
    const activation = (JSON.parse(fs.readFileSync(fixture, 'utf8')) as { data: ActivatedData }).data;
    await db.transaction(async (sql) => {
      await saveCollaborations(sql, [{
        id: 'col-1', state: 'ended', invitationKind: 'admin-welcome', activation, invitedAt: NOW - 400 * DAY, expiresAt: NOW - 386 * DAY,
        remindersSent: 2, nextDueAt: null, approvedAt: null, endedAt: NOW - 380 * DAY,
      }], NOW - 380 * DAY);
      await insertCustomerAdmins(sql, [{
        id: 'adm-1', collaborationId: 'col-1', customerId: 'cust-1', email: 'a@b.example', firstName: 'A', lastName: 'B', phone: null,
        tokenNonce: 'n', tokenHash: 'h', tokenExpiresAt: NOW - 386 * DAY,
      }], NOW - 400 * DAY);
      await recordFailure(sql, {
        failureKey: 'k-1', origin: 'queue', messageId: 'm-1', source: 'urn:practice', type: 'collaboration.activated', collaborationId: 'col-1',
        exchange: 'collab.events', routingKey: 'collaboration.activated', contentType: 'application/json', headers: {}, body: Buffer.from('{}'),
        errorClass: 'invalid', reason: 'bad', groupKey: 'g', attempts: 1,
      }, NOW - 400 * DAY);
    });

    expect(await pruneOld(db, BEFORE)).toEqual({ outbox: 3, inbox: 4 });

    expect(await outboxIds()).toEqual(['at-cutoff-0', 'recent-done-0', 'recent-done-1', 'old-pending-0', 'old-pending-1', 'old-failed-0']);
    expect(await inboxIds()).toEqual(['a-2', 'e-2', 'e-4']);
    expect([await count('collaborations'), await count('customer_admins'), await count('failed_messages')]).toEqual([1, 1, 1]);

    // a second run finds nothing more
    expect(await pruneOld(db, BEFORE)).toEqual({ outbox: 0, inbox: 0 });
  });

  it('works through more rows than one chunk, a chunk per transaction', async () => {
    // old and recent rows alternate, so every chunk holds both
    for (let i = 0; i < 10; i++) {
      await delivered(`old-${i}`, 5, NOW - 40 * DAY, NOW - 35 * DAY);
      await delivered(`new-${i}`, 2, NOW - 2 * DAY, NOW - DAY);
      await outboxRows(`pending-${i}`, 1, NOW - 40 * DAY);
    }
    const ids = Array.from({ length: 230 }, (_, n) => `ev-${String(n).padStart(3, '0')}`);
    await handled('urn:practice', ids.filter((_, n) => n % 3 !== 0), NOW - 60 * DAY);
    await handled('urn:practice', ids.filter((_, n) => n % 3 === 0), NOW - DAY);

    const transactions = vi.spyOn(db, 'transaction');
    expect(await pruneOld(db, BEFORE, { chunkSize: 7 })).toEqual({ outbox: 50, inbox: 153 });
    expect(await count('outbox')).toBe(30);
    expect(await db.all(`SELECT id FROM outbox WHERE status = 'done' AND done_at < ?`, [BEFORE])).toEqual([]);
    expect(await inboxIds()).toEqual(ids.filter((_, n) => n % 3 === 0));
    // 80 outbox rows and 230 marks in windows of 7
    expect(transactions).toHaveBeenCalledTimes(Math.ceil(80 / 7) + Math.ceil(230 / 7));
  });

  it('stops after the chunk in progress when asked to', async () => {
    await delivered('old', 20, NOW - 40 * DAY, NOW - 35 * DAY);
    await handled('urn:practice', ['e-1'], NOW - 40 * DAY);
    const stop = new AbortController();
    const transaction = db.transaction.bind(db);
    db.transaction = <T>(fn: (sql: Sql) => Promise<T>) => transaction(async (sql) => {
      const result = await fn(sql);
      stop.abort();
      return result;
    });
    expect(await pruneOld(db, BEFORE, { chunkSize: 5, signal: stop.signal })).toEqual({ outbox: 5, inbox: 0 });
    expect(await count('outbox')).toBe(15);
  });

  it('refuses a chunk size that is not a positive whole number', async () => {
    await expect(pruneOld(db, BEFORE, { chunkSize: 0 })).rejects.toThrow(/chunkSize/);
  });
});

describe('the retention scheduler', () => {
  function capture() {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
        done();
      },
    });
    return { lines, log: createLogger('info', stream) };
  }

  it('prunes what is older than RETENTION_DAYS, counts it and logs one line', async () => {
    await delivered('old', 4, NOW - 40 * DAY, NOW - 11 * DAY);
    await delivered('new', 1, NOW - 40 * DAY, NOW - 9 * DAY);
    await handled('urn:practice', ['e-1', 'e-2'], NOW - 11 * DAY);
    const { lines, log } = capture();
    const metrics = new Metrics();
    const scheduler = startRetentionScheduler({ db, days: 10, schedule: '30 3 * * *', clock: () => new Date(NOW), log, metrics, chunkSize: 2 })!;
    try {
      expect(await scheduler.runNow()).toEqual({ outbox: 4, inbox: 2 });
    } finally {
      await scheduler.stop();
    }
    expect(await outboxIds()).toEqual(['new-0']);
    const metric = await metrics.registry.getSingleMetricAsString('collab_pruned_rows_total');
    expect(metric).toContain('collab_pruned_rows_total{table="outbox"} 4');
    expect(metric).toContain('collab_pruned_rows_total{table="inbox"} 2');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.filter((l) => l.msg === 'pruned done outbox rows and inbox marks')).toEqual([
      expect.objectContaining({ level: 30, outbox: 4, inbox: 2, before: new Date(NOW - 10 * DAY).toISOString() }),
    ]);
  });

  it('logs a failed run instead of throwing', async () => {
    const { lines, log } = capture();
    const scheduler = startRetentionScheduler({ db, days: 10, schedule: '30 3 * * *', clock: () => new Date(NOW), log, metrics: new Metrics() })!;
    await handled('urn:practice', ['e-1'], NOW - 11 * DAY);
    await db.exec(`CREATE TRIGGER keep_marks BEFORE DELETE ON inbox BEGIN SELECT RAISE(ABORT, 'marks are kept'); END`);
    expect(await scheduler.runNow()).toBeUndefined();
    await scheduler.stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.some((l) => l.level === 50 && l.msg === 'pruning failed; the next run tries again')).toBe(true);
  });

  it('is not started when RETENTION_DAYS is 0', async () => {
    await delivered('old', 1, NOW - 400 * DAY, NOW - 400 * DAY);
    const { log } = capture();
    expect(startRetentionScheduler({ db, days: 0, schedule: '30 3 * * *', clock: () => new Date(NOW), log, metrics: new Metrics() })).toBeUndefined();
    expect(await count('outbox')).toBe(1);
  });

  it('refuses a schedule that is not cron, naming the variable', () => {
    const { log } = capture();
    expect(() => startRetentionScheduler({ db, days: 30, schedule: 'daily', clock: () => new Date(NOW), log, metrics: new Metrics() })).toThrow(
      'RETENTION_SCHEDULE="daily" is not a valid cron expression',
    );
  });
});

/**
 * SQL of the outbox: every email, command and event leaves through a row written in the same
 * transaction as the state change that caused it.
 */
import type { Sql } from './database.js';
import { insertRows, insertRowsReturning } from './bulk.js';
import { outboxRowFromRow, writtenRows, type OutboxBacklog, type OutboxEntry, type OutboxLease, type OutboxRow } from '../outbox-entry.js';

/**
 * New rows are due at once (next_attempt_at 0), whatever the clock of whoever wrote them: a
 * reminder pass run by support `--at` a later time must not hold its emails back until then.
 * Ids are deterministic: writing the same effect again is a no-op.
 */
export async function addToOutbox(sql: Sql, entries: OutboxEntry[], now: number, lease?: OutboxLease): Promise<OutboxRow[]> {
  const head = 'INSERT INTO outbox (id, channel, topic, collaboration_id, payload, next_attempt_at, created_at, lease_until, lease_owner)';
  const rows = entries.map((e) => [e.id, e.channel, e.topic, e.collaborationId, JSON.stringify(e.payload), 0, now, lease?.until ?? null, lease?.owner ?? null]);
  if (!lease) {
    await insertRows(sql, head, 9, rows, 'ON CONFLICT (id) DO NOTHING');
    return [];
  }
  const written = await insertRowsReturning<{ seq: number; id: string }>(sql, head, 9, rows, 'ON CONFLICT (id) DO NOTHING RETURNING seq, id');
  return writtenRows(entries, new Map(written.map((r) => [r.id, r.seq])), now);
}

/**
 * Leases up to `limit` due rows for `leaseMs`. Another worker skips leased rows; a worker that
 * dies lets its lease run out, and the rows are picked up again.
 */
export async function leaseDue(sql: Sql, now: number, limit: number, leaseMs: number, owner: string): Promise<OutboxRow[]> {
  const rows = await sql.all<Record<string, unknown>>(
    `UPDATE outbox SET lease_until = ?, lease_owner = ?
     WHERE seq IN (
       SELECT seq FROM outbox
       WHERE status = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
       ORDER BY next_attempt_at, seq LIMIT ?)
     RETURNING seq, id, channel, topic, collaboration_id, payload, attempts, created_at`,
    [now + leaseMs, owner, now, now, limit],
  );
  return rows
    .map(outboxRowFromRow)
    .sort((a, b) => a.seq - b.seq);
}

/** Holders of leases that have not run out yet. */
export async function leaseOwners(sql: Sql, now: number): Promise<string[]> {
  const rows = await sql.all<{ owner: string }>(
    `SELECT DISTINCT lease_owner AS owner FROM outbox WHERE status = 'pending' AND lease_until > ? AND lease_owner IS NOT NULL`,
    [now],
  );
  return rows.map((r) => r.owner);
}

/** Ends the leases of an owner known to be gone: its rows are due again at once. */
export async function releaseLeases(sql: Sql, owner: string): Promise<number> {
  const { changes } = await sql.run(`UPDATE outbox SET lease_until = NULL WHERE status = 'pending' AND lease_owner = ?`, [owner]);
  return changes;
}

export async function markDelivered(sql: Sql, seqs: number[], now: number): Promise<void> {
  if (seqs.length === 0) return;
  await sql.run(
    `UPDATE outbox SET status = 'done', done_at = ?, lease_until = NULL, attempts = attempts + 1
     WHERE seq IN (${seqs.map(() => '?').join(', ')})`,
    [now, ...seqs],
  );
}

export async function reschedule(sql: Sql, seq: number, nextAttemptAt: number, error: string): Promise<void> {
  await sql.run(
    `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, lease_until = NULL, last_error = ? WHERE seq = ?`,
    [nextAttemptAt, error, seq],
  );
}

export async function markUndeliverable(sql: Sql, seq: number, error: string): Promise<void> {
  await sql.run(`UPDATE outbox SET status = 'failed', attempts = attempts + 1, lease_until = NULL, last_error = ? WHERE seq = ?`, [error, seq]);
}

/** Support sent a failed delivery back: it is due now, with a fresh retry budget. */
export async function revive(sql: Sql, id: string, now: number): Promise<boolean> {
  const { changes } = await sql.run(
    `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, lease_until = NULL WHERE id = ? AND status = 'failed'`,
    [now, id],
  );
  return changes === 1;
}

export async function backlog(sql: Sql): Promise<OutboxBacklog> {
  const row = await sql.get<{ pending: number; oldest: number | null }>(
    `SELECT COUNT(*) AS pending, MIN(created_at) AS oldest FROM outbox WHERE status = 'pending'`,
  );
  return { pending: row?.pending ?? 0, oldestCreatedAt: row?.oldest ?? null };
}

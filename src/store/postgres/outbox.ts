/**
 * SQL of the outbox on PostgreSQL. Rows are leased with FOR UPDATE SKIP LOCKED: dispatchers on
 * any number of instances take disjoint rows without waiting for each other, and a dead
 * instance's rows are taken again once their lease has run out (no process ids: the instances
 * are on other machines). Inserting rows notifies `collab_outbox` (see migrations.ts).
 */
import type { PgSql } from './connection.js';
import { outboxRowFromRow, writtenRows, type LeaseOwner, type OutboxBacklog, type OutboxEntry, type OutboxLease, type OutboxRow } from '../outbox-entry.js';

/** With `lease`, the rows are written leased and those written now are returned (see Outbox.add). */
export async function addToOutbox(sql: PgSql, entries: OutboxEntry[], now: number, lease?: OutboxLease): Promise<OutboxRow[]> {
  if (entries.length === 0) return [];
  const { rows } = await sql.query<{ seq: string | number; id: string }>(
    `INSERT INTO outbox (id, channel, topic, collaboration_id, payload, next_attempt_at, created_at, lease_until, lease_owner)
     SELECT id, channel, topic, collaboration_id, payload, 0, $6::bigint, $7::bigint, $8::text
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS e (id, channel, topic, collaboration_id, payload)
     ON CONFLICT (id) DO NOTHING
     ${lease ? 'RETURNING seq, id' : ''}`,
    [
      entries.map((e) => e.id), entries.map((e) => e.channel), entries.map((e) => e.topic), entries.map((e) => e.collaborationId),
      entries.map((e) => JSON.stringify(e.payload)), now, lease?.until ?? null, lease?.owner ?? null,
    ],
  );
  return lease ? writtenRows(entries, new Map(rows.map((r) => [r.id, Number(r.seq)])), now) : [];
}

export async function leaseDue(sql: PgSql, now: number, limit: number, leaseMs: number, owner: LeaseOwner): Promise<OutboxRow[]> {
  const { rows } = await sql.query(
    `WITH due AS (
       SELECT seq FROM outbox
       WHERE status = 'pending' AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until <= $3)
       ORDER BY next_attempt_at, seq LIMIT $4
       FOR UPDATE SKIP LOCKED)
     UPDATE outbox SET lease_until = $1, lease_owner = $2 FROM due WHERE outbox.seq = due.seq
     RETURNING outbox.seq, outbox.id, outbox.channel, outbox.topic, outbox.collaboration_id, outbox.payload, outbox.attempts, outbox.created_at`,
    [now + leaseMs, owner, now, limit],
  );
  return rows
    .map(outboxRowFromRow)
    .sort((a, b) => a.seq - b.seq);
}

export async function markDelivered(sql: PgSql, seqs: number[], now: number): Promise<void> {
  if (seqs.length === 0) return;
  await sql.query(
    `UPDATE outbox SET status = 'done', done_at = $1, lease_until = NULL, attempts = attempts + 1 WHERE seq = ANY($2::bigint[])`,
    [now, seqs],
  );
}

export async function reschedule(sql: PgSql, seq: number, nextAttemptAt: number, error: string): Promise<void> {
  await sql.query(
    `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, lease_until = NULL, last_error = $2 WHERE seq = $3`,
    [nextAttemptAt, error, seq],
  );
}

export async function markUndeliverable(sql: PgSql, seq: number, error: string): Promise<void> {
  await sql.query(`UPDATE outbox SET status = 'failed', attempts = attempts + 1, lease_until = NULL, last_error = $1 WHERE seq = $2`, [error, seq]);
}

export async function revive(sql: PgSql, id: string, now: number): Promise<boolean> {
  const { rowCount } = await sql.query(
    `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $1, lease_until = NULL WHERE id = $2 AND status = 'failed'`,
    [now, id],
  );
  return rowCount === 1;
}

export async function backlog(sql: PgSql): Promise<OutboxBacklog> {
  const { rows } = await sql.query<{ pending: number; oldest: number | null }>(
    `SELECT COUNT(*) AS pending, MIN(created_at) AS oldest FROM outbox WHERE status = 'pending'`,
  );
  return { pending: rows[0]?.pending ?? 0, oldestCreatedAt: rows[0]?.oldest ?? null };
}

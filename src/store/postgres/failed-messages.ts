/** SQL of the failed messages that support browses and re-queues, and their audit trail, on PostgreSQL. */
import type { PgSql } from './connection.js';
import { failedMessageFromRow, type AuditEntry, type FailedFilter, type FailedMessage, type FailedStatus, type FailureGroup, type FailureRecord } from '../failed-message.js';

export async function recordFailure(sql: PgSql, f: FailureRecord, now: number): Promise<void> {
  const before = await sql.query<{ id: number; status: FailedStatus }>('SELECT id, status FROM failed_messages WHERE failure_key = $1', [f.failureKey]);
  await sql.query(
    `INSERT INTO failed_messages (failure_key, origin, message_id, source, type, collaboration_id, exchange, routing_key,
       content_type, headers, body, error_class, reason, group_key, attempts, first_failed_at, last_failed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)
     ON CONFLICT (failure_key) DO UPDATE SET
       error_class = excluded.error_class, reason = excluded.reason, group_key = excluded.group_key,
       attempts = failed_messages.attempts + excluded.attempts, last_failed_at = excluded.last_failed_at,
       headers = excluded.headers, status = 'failed'`,
    [
      f.failureKey, f.origin, f.messageId, f.source, f.type, f.collaborationId, f.exchange, f.routingKey,
      f.contentType, JSON.stringify(f.headers), f.body, f.errorClass, f.reason, f.groupKey, f.attempts, now,
    ],
  );
  // After a requeue: the status may still say failed if the worker was quicker than the requeue's mark.
  const previous = before.rows[0];
  if (previous && (previous.status !== 'failed' || f.requeuedFrom === previous.id)) await insertAudit(sql, previous.id, 'failed again', 'worker', now);
}

export async function markRequeued(sql: PgSql, id: number, attemptsWhenRead: number, actor: string, requeuedAt: number): Promise<boolean> {
  const { rowCount } = await sql.query(
    "UPDATE failed_messages SET status = 'requeued' WHERE id = $1 AND status = 'failed' AND attempts = $2",
    [id, attemptsWhenRead],
  );
  await insertAudit(sql, id, 'requeued', actor, requeuedAt);
  return (rowCount ?? 0) > 0;
}

export async function recordRequeueOutcome(sql: PgSql, id: number, action: string, now: number): Promise<void> {
  await insertAudit(sql, id, action, 'worker', now);
}

/** Nothing for a failed message that is not there (a requeue header naming a pruned or foreign id). */
async function insertAudit(sql: PgSql, id: number, action: string, actor: string, at: number): Promise<void> {
  await sql.query(
    'INSERT INTO failed_message_audit (failed_message_id, action, actor, at) SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM failed_messages WHERE id = $1)',
    [id, action, actor, at],
  );
}

export async function listFailed(sql: PgSql, filter: FailedFilter = {}): Promise<FailedMessage[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const param = (value: unknown) => `$${params.push(value)}`;
  if (filter.status?.length) where.push(`status = ANY(${param(filter.status)}::text[])`);
  if (filter.reason) where.push(`strpos(lower(reason), lower(${param(filter.reason)})) > 0`);
  if (filter.type) where.push(`type = ${param(filter.type)}`);
  if (filter.group) where.push(`group_key = ${param(filter.group)}`);
  if (filter.ids) where.push(`id = ANY(${param(filter.ids)}::bigint[])`);
  const { rows } = await sql.query(
    `SELECT * FROM failed_messages ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY last_failed_at DESC, id DESC`,
    params,
  );
  return rows.map(failedMessageFromRow);
}

/** The example reason is the greatest byte-wise, as SQLite picks it. */
export async function groupFailed(sql: PgSql): Promise<FailureGroup[]> {
  const { rows } = await sql.query<FailureGroup>(
    `SELECT group_key AS "groupKey", error_class AS "errorClass", COUNT(*) AS count, MAX(last_failed_at) AS "lastFailedAt",
            MAX(reason COLLATE "C") AS example
     FROM failed_messages WHERE status = 'failed' GROUP BY group_key, error_class ORDER BY count DESC, "lastFailedAt" DESC`,
  );
  return rows;
}

export async function setFailedStatus(sql: PgSql, id: number, status: FailedStatus, actor: string, now: number): Promise<void> {
  await sql.query('UPDATE failed_messages SET status = $1 WHERE id = $2', [status, id]);
  await insertAudit(sql, id, status, actor, now);
}

export async function moveFailed(sql: PgSql, id: number, from: FailedStatus, to: FailedStatus, action: string, actor: string, now: number): Promise<boolean> {
  const { rowCount } = await sql.query('UPDATE failed_messages SET status = $1 WHERE id = $2 AND status = $3', [to, id, from]);
  if (!rowCount) return false;
  await sql.query('INSERT INTO failed_message_audit (failed_message_id, action, actor, at) VALUES ($1, $2, $3, $4)', [id, action, actor, now]);
  return true;
}

export async function auditTrail(sql: PgSql, id: number): Promise<AuditEntry[]> {
  const { rows } = await sql.query<AuditEntry>('SELECT action, actor, at FROM failed_message_audit WHERE failed_message_id = $1 ORDER BY at, id', [id]);
  return rows;
}

export async function countFailedByStatus(sql: PgSql): Promise<Record<FailedStatus, number>> {
  const { rows } = await sql.query<{ status: FailedStatus; n: number }>('SELECT status, COUNT(*) AS n FROM failed_messages GROUP BY status');
  const counts: Record<FailedStatus, number> = { failed: 0, requeued: 0, archived: 0 };
  for (const row of rows) counts[row.status] = row.n;
  return counts;
}

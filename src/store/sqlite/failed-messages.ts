/**
 * SQL of the failed messages that support browses and re-queues. A message that fails again
 * after a requeue updates its own row (same failure key), so the list stays one row per message.
 */
import type { Sql } from './database.js';
import { failedMessageFromRow, type AuditEntry, type FailedFilter, type FailedMessage, type FailedStatus, type FailureGroup, type FailureRecord } from '../failed-message.js';

/**
 * Keeps a failed message, or updates the record of the same message (same failure key) when it
 * fails again: attempts add up, the reason is the newest, and the status is `failed` again, so a
 * message that fails after a requeue is listed again. Failing after a requeue is noted in the
 * audit trail (action `failed again`, actor `worker`).
 */
export async function recordFailure(sql: Sql, f: FailureRecord, now: number): Promise<void> {
  const before = await sql.all<{ id: number; status: FailedStatus }>('SELECT id, status FROM failed_messages WHERE failure_key = ?', [f.failureKey]);
  await sql.run(
    `INSERT INTO failed_messages (failure_key, origin, message_id, source, type, collaboration_id, exchange, routing_key,
       content_type, headers, body, error_class, reason, group_key, attempts, first_failed_at, last_failed_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (failure_key) DO UPDATE SET
       error_class = excluded.error_class, reason = excluded.reason, group_key = excluded.group_key,
       attempts = failed_messages.attempts + excluded.attempts, last_failed_at = excluded.last_failed_at,
       headers = excluded.headers, status = 'failed'`,
    [
      f.failureKey, f.origin, f.messageId, f.source, f.type, f.collaborationId, f.exchange, f.routingKey,
      f.contentType, JSON.stringify(f.headers), f.body, f.errorClass, f.reason, f.groupKey, f.attempts, now, now,
    ],
  );
  // After a requeue: the status may still say failed if the worker was quicker than the requeue's mark.
  const previous = before[0];
  if (previous && (previous.status !== 'failed' || f.requeuedFrom === previous.id)) await insertAudit(sql, previous.id, 'failed again', 'worker', now);
}

/**
 * Marks a failed message requeued after it was sent back, unless it failed again in between
 * (its attempts grew since `attemptsWhenRead`, or its status moved on): a newer `failed` is never
 * overwritten. The requeue is in the audit trail either way. Returns whether the status changed.
 */
export async function markRequeued(sql: Sql, id: number, attemptsWhenRead: number, actor: string, requeuedAt: number): Promise<boolean> {
  const { changes } = await sql.run(
    "UPDATE failed_messages SET status = 'requeued' WHERE id = ? AND status = 'failed' AND attempts = ?",
    [id, attemptsWhenRead],
  );
  await insertAudit(sql, id, 'requeued', actor, requeuedAt);
  return changes > 0;
}

/** What became of a requeued message (`handled`, `skipped`, `handled before`), in its audit trail. */
export async function recordRequeueOutcome(sql: Sql, id: number, action: string, now: number): Promise<void> {
  await insertAudit(sql, id, action, 'worker', now);
}

async function insertAudit(sql: Sql, id: number, action: string, actor: string, at: number): Promise<void> {
  await sql.run('INSERT INTO failed_message_audit (failed_message_id, action, actor, at) SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM failed_messages WHERE id = ?)', [id, action, actor, at, id]);
}

export async function listFailed(sql: Sql, filter: FailedFilter = {}): Promise<FailedMessage[]> {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (filter.status?.length) {
    where.push(`status IN (${filter.status.map(() => '?').join(', ')})`);
    params.push(...filter.status);
  }
  if (filter.reason) {
    where.push(`instr(lower(reason), lower(?)) > 0`);
    params.push(filter.reason);
  }
  if (filter.type) {
    where.push('type = ?');
    params.push(filter.type);
  }
  if (filter.group) {
    where.push('group_key = ?');
    params.push(filter.group);
  }
  if (filter.ids) {
    where.push(`id IN (${filter.ids.map(() => '?').join(', ') || 'NULL'})`);
    params.push(...filter.ids);
  }
  const rows = await sql.all<Record<string, unknown>>(
    `SELECT * FROM failed_messages ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY last_failed_at DESC, id DESC`,
    params,
  );
  return rows.map(failedMessageFromRow);
}

export async function groupFailed(sql: Sql): Promise<FailureGroup[]> {
  return sql.all<FailureGroup>(
    `SELECT group_key AS groupKey, error_class AS errorClass, COUNT(*) AS count, MAX(last_failed_at) AS lastFailedAt,
            MAX(reason) AS example
     FROM failed_messages WHERE status = 'failed' GROUP BY group_key, error_class ORDER BY count DESC, lastFailedAt DESC`,
  );
}

export async function setFailedStatus(sql: Sql, id: number, status: FailedStatus, actor: string, now: number): Promise<void> {
  await sql.run('UPDATE failed_messages SET status = ? WHERE id = ?', [status, id]);
  await insertAudit(sql, id, status, actor, now);
}

/**
 * Moves a failed message from one status to another only if it is in `from` now, and records
 * `action` in the audit trail only then: archiving twice changes nothing the second time.
 * Returns whether it moved.
 */
export async function moveFailed(sql: Sql, id: number, from: FailedStatus, to: FailedStatus, action: string, actor: string, now: number): Promise<boolean> {
  const { changes } = await sql.run('UPDATE failed_messages SET status = ? WHERE id = ? AND status = ?', [to, id, from]);
  if (changes === 0) return false;
  await sql.run('INSERT INTO failed_message_audit (failed_message_id, action, actor, at) VALUES (?, ?, ?, ?)', [id, action, actor, now]);
  return true;
}

export async function auditTrail(sql: Sql, id: number): Promise<AuditEntry[]> {
  return sql.all<AuditEntry>('SELECT action, actor, at FROM failed_message_audit WHERE failed_message_id = ? ORDER BY at, id', [id]);
}

export async function countFailedByStatus(sql: Sql): Promise<Record<FailedStatus, number>> {
  const rows = await sql.all<{ status: FailedStatus; n: number }>('SELECT status, COUNT(*) AS n FROM failed_messages GROUP BY status');
  const counts: Record<FailedStatus, number> = { failed: 0, requeued: 0, archived: 0 };
  for (const row of rows) counts[row.status] = row.n;
  return counts;
}

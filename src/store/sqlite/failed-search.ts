/**
 * Support's queries over failed messages: filters, keyset paging (newest first), group spans,
 * and conditional status changes. New SQL lives here so the store's other files stay as they are.
 */
import type { Sql, SqlValue } from './database.js';
import { listFailed } from './failed-messages.js';
import type { FailedCursor, FailedMessage, FailedQuery, FailureGroupSpan } from '../failed-message.js';

function where(q: FailedQuery): { clause: string; params: SqlValue[] } {
  const parts: string[] = [];
  const params: SqlValue[] = [];
  if (q.status?.length) {
    parts.push(`status IN (${q.status.map(() => '?').join(', ')})`);
    params.push(...q.status);
  }
  const equal: [string, string | undefined][] = [['type', q.type], ['collaboration_id', q.collaborationId], ['message_id', q.eventId], ['group_key', q.group]];
  for (const [column, value] of equal) {
    if (value === undefined) continue;
    parts.push(`${column} = ?`);
    params.push(value);
  }
  if (q.reason) {
    parts.push('instr(lower(reason), lower(?)) > 0');
    params.push(q.reason);
  }
  if (q.from !== undefined) {
    parts.push('last_failed_at >= ?');
    params.push(q.from);
  }
  if (q.to !== undefined) {
    parts.push('last_failed_at < ?');
    params.push(q.to);
  }
  return { clause: parts.length ? parts.join(' AND ') : '1 = 1', params };
}

/** One page of the list, newest first, after `cursor` (exclusive). */
export async function findFailedPage(sql: Sql, q: FailedQuery, cursor: FailedCursor | undefined, limit: number): Promise<FailedMessage[]> {
  const { clause, params } = where(q);
  const after = cursor ? ' AND (last_failed_at < ? OR (last_failed_at = ? AND id < ?))' : '';
  const rows = await sql.all<{ id: number }>(
    `SELECT id FROM failed_messages WHERE ${clause}${after} ORDER BY last_failed_at DESC, id DESC LIMIT ?`,
    [...params, ...(cursor ? [cursor.lastFailedAt, cursor.lastFailedAt, cursor.id] : []), limit],
  );
  return rows.length ? listFailed(sql, { ids: rows.map((r) => r.id) }) : [];
}

export async function countFailed(sql: Sql, q: FailedQuery): Promise<number> {
  const { clause, params } = where(q);
  const row = await sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM failed_messages WHERE ${clause}`, params);
  return row?.n ?? 0;
}

/** The ids matching `q`, oldest failure first (the order a bulk requeue sends them back in). */
export async function failedIds(sql: Sql, q: FailedQuery): Promise<number[]> {
  const { clause, params } = where(q);
  const rows = await sql.all<{ id: number }>(`SELECT id FROM failed_messages WHERE ${clause} ORDER BY last_failed_at, id`, params);
  return rows.map((r) => r.id);
}

/** Failed messages (status failed) by reason group, largest first. */
export async function groupSpans(sql: Sql): Promise<FailureGroupSpan[]> {
  const rows = await sql.all<Omit<FailureGroupSpan, 'types'> & { types: string | null }>(
    `SELECT group_key AS groupKey, error_class AS errorClass, COUNT(*) AS count, MIN(first_failed_at) AS firstFailedAt,
            MAX(last_failed_at) AS lastFailedAt, MAX(reason) AS example, GROUP_CONCAT(DISTINCT type) AS types
     FROM failed_messages WHERE status = 'failed' GROUP BY group_key, error_class ORDER BY count DESC, lastFailedAt DESC`,
  );
  return rows.map((r) => ({ ...r, types: r.types ? r.types.split(',').sort() : [] }));
}

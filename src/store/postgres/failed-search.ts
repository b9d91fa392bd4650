/** Support's queries over failed messages on PostgreSQL: filters, keyset paging (newest first), group spans. */
import type { PgSql } from './connection.js';
import { listFailed } from './failed-messages.js';
import type { FailedCursor, FailedMessage, FailedQuery, FailureGroupSpan } from '../failed-message.js';

function where(q: FailedQuery, params: unknown[]): string {
  const param = (value: unknown) => `$${params.push(value)}`;
  const parts: string[] = [];
  if (q.status?.length) parts.push(`status = ANY(${param(q.status)}::text[])`);
  const equal: [string, string | undefined][] = [['type', q.type], ['collaboration_id', q.collaborationId], ['message_id', q.eventId], ['group_key', q.group]];
  for (const [column, value] of equal) if (value !== undefined) parts.push(`${column} = ${param(value)}`);
  if (q.reason) parts.push(`strpos(lower(reason), lower(${param(q.reason)})) > 0`);
  if (q.from !== undefined) parts.push(`last_failed_at >= ${param(q.from)}`);
  if (q.to !== undefined) parts.push(`last_failed_at < ${param(q.to)}`);
  return parts.length ? parts.join(' AND ') : 'TRUE';
}

export async function findFailedPage(sql: PgSql, q: FailedQuery, cursor: FailedCursor | undefined, limit: number): Promise<FailedMessage[]> {
  const params: unknown[] = [];
  const clause = where(q, params);
  const after = cursor ? ` AND (last_failed_at, id) < ($${params.push(cursor.lastFailedAt)}, $${params.push(cursor.id)})` : '';
  const { rows } = await sql.query<{ id: number }>(
    `SELECT id FROM failed_messages WHERE ${clause}${after} ORDER BY last_failed_at DESC, id DESC LIMIT $${params.push(limit)}`,
    params,
  );
  return rows.length ? listFailed(sql, { ids: rows.map((r) => r.id) }) : [];
}

export async function countFailed(sql: PgSql, q: FailedQuery): Promise<number> {
  const params: unknown[] = [];
  const { rows } = await sql.query<{ n: number }>(`SELECT COUNT(*) AS n FROM failed_messages WHERE ${where(q, params)}`, params);
  return rows[0]?.n ?? 0;
}

export async function failedIds(sql: PgSql, q: FailedQuery): Promise<number[]> {
  const params: unknown[] = [];
  const { rows } = await sql.query<{ id: number }>(`SELECT id FROM failed_messages WHERE ${where(q, params)} ORDER BY last_failed_at, id`, params);
  return rows.map((r) => r.id);
}

/** The example reason is the greatest byte-wise, as SQLite picks it. */
export async function groupSpans(sql: PgSql): Promise<FailureGroupSpan[]> {
  const { rows } = await sql.query<Omit<FailureGroupSpan, 'types'> & { types: string[] | null }>(
    `SELECT group_key AS "groupKey", error_class AS "errorClass", COUNT(*) AS count, MIN(first_failed_at) AS "firstFailedAt",
            MAX(last_failed_at) AS "lastFailedAt", MAX(reason COLLATE "C") AS example, array_agg(DISTINCT type) FILTER (WHERE type IS NOT NULL) AS types
     FROM failed_messages WHERE status = 'failed' GROUP BY group_key, error_class ORDER BY count DESC, "lastFailedAt" DESC`,
  );
  return rows.map((r) => ({ ...r, types: (r.types ?? []).sort() }));
}

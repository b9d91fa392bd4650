/** SQL of the audit log on PostgreSQL: who did what, through the console, the API or the CLI. */
import type { PgSql } from './connection.js';
import type { AuditAction, AuditLogEntry } from '../audit-action.js';

export async function addAuditLog(sql: PgSql, a: AuditAction, now: number): Promise<void> {
  await sql.query('INSERT INTO audit_log (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)', [now, a.actor, a.action, a.target ?? null, a.detail ?? null]);
}

export async function listAuditLog(sql: PgSql, beforeId: number | undefined, limit: number): Promise<AuditLogEntry[]> {
  const { rows } = await sql.query<AuditLogEntry>(
    `SELECT id, at, actor, action, target, detail FROM audit_log ${beforeId !== undefined ? 'WHERE id < $2' : ''} ORDER BY id DESC LIMIT $1`,
    beforeId !== undefined ? [limit, beforeId] : [limit],
  );
  return rows;
}

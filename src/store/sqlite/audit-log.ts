/** SQL of the audit log: who did what, through the console, the API or the CLI. Times in ms since the epoch. */
import type { Sql } from './database.js';
import type { AuditAction, AuditLogEntry } from '../audit-action.js';

export async function addAuditLog(sql: Sql, a: AuditAction, now: number): Promise<void> {
  await sql.run('INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)', [now, a.actor, a.action, a.target ?? null, a.detail ?? null]);
}

/** Newest first; `beforeId` pages backwards (exclusive). */
export async function listAuditLog(sql: Sql, beforeId: number | undefined, limit: number): Promise<AuditLogEntry[]> {
  return sql.all<AuditLogEntry>(
    `SELECT id, at, actor, action, target, detail FROM audit_log ${beforeId !== undefined ? 'WHERE id < ?' : ''} ORDER BY id DESC LIMIT ?`,
    beforeId !== undefined ? [beforeId, limit] : [limit],
  );
}

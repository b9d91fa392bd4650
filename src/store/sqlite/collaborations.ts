/** SQL of the collaborations table. State changes are conditional: they say which state they expect. */
import type { Sql } from './database.js';
import { insertRows } from './bulk.js';
import { collaborationFromRow, type Collaboration, type CollaborationRow, type CollaborationState, type InvitationFilter } from '../collaboration.js';

/** The collaborations with these ids that exist: one query for a whole batch. */
export async function findCollaborations(sql: Sql, ids: string[]): Promise<Map<string, Collaboration>> {
  if (ids.length === 0) return new Map();
  const rows = await sql.all<CollaborationRow>(`SELECT * FROM collaborations WHERE id IN (${ids.map(() => '?').join(', ')})`, ids);
  return new Map(rows.map((r) => [r.id, collaborationFromRow(r)]));
}

/**
 * Writes these collaborations as they are now, new or changed, in one statement. The caller
 * read them in the same write transaction, so nothing can have changed in between.
 */
export async function saveCollaborations(sql: Sql, collaborations: Collaboration[], now: number): Promise<void> {
  await insertRows(
    sql,
    `INSERT INTO collaborations (id, state, brand, relation, service_code, invitation_kind, activation, invited_at,
       expires_at, reminders_sent, next_due_at, approved_at, ended_at, updated_at)`,
    14,
    collaborations.map((c) => [
      c.id, c.state, c.activation.brand, c.activation.customer.relation, c.activation.service.code, c.invitationKind,
      JSON.stringify(c.activation), c.invitedAt, c.expiresAt, c.remindersSent, c.nextDueAt, c.approvedAt, c.endedAt, now,
    ]),
    `ON CONFLICT (id) DO UPDATE SET state = excluded.state, reminders_sent = excluded.reminders_sent,
       next_due_at = excluded.next_due_at, approved_at = excluded.approved_at, ended_at = excluded.ended_at,
       updated_at = excluded.updated_at`,
  );
}

/**
 * Moves a collaboration from one of `from` to `to`. Returns false when it was not in one of
 * those states any more (another worker got there first): the caller then does nothing.
 */
export async function transition(
  sql: Sql,
  id: string,
  from: CollaborationState[],
  to: CollaborationState,
  now: number,
): Promise<boolean> {
  const stamp = to === 'active' ? ', approved_at = ?' : to === 'ended' ? ', ended_at = ?' : '';
  const params = stamp ? [to, now, now, id, ...from] : [to, now, id, ...from];
  const { changes } = await sql.run(
    `UPDATE collaborations SET state = ?, next_due_at = NULL, updated_at = ?${stamp}
     WHERE id = ? AND state IN (${from.map(() => '?').join(', ')})`,
    params,
  );
  return changes === 1;
}

/** Pending invitations due at `now`, oldest first. Reads the partial index only. */
export async function findDue(sql: Sql, now: number, limit: number): Promise<Collaboration[]> {
  const rows = await sql.all<CollaborationRow>(
    `SELECT * FROM collaborations WHERE state = 'pending' AND next_due_at <= ? ORDER BY next_due_at LIMIT ?`,
    [now, limit],
  );
  return rows.map(collaborationFromRow);
}

/**
 * Pending invitations due at `now`, in (next_due_at, id) order, after the key `after`: a reader
 * walks them a page at a time without holding anything (the reminder CLI's dry run).
 */
export async function listDue(sql: Sql, now: number, after: { nextDueAt: number; id: string } | undefined, limit: number): Promise<Collaboration[]> {
  const rows = after
    ? await sql.all<CollaborationRow>(
        `SELECT * FROM collaborations WHERE state = 'pending' AND next_due_at <= ? AND (next_due_at, id) > (?, ?)
         ORDER BY next_due_at, id LIMIT ?`,
        [now, after.nextDueAt, after.id, limit],
      )
    : await sql.all<CollaborationRow>(`SELECT * FROM collaborations WHERE state = 'pending' AND next_due_at <= ? ORDER BY next_due_at, id LIMIT ?`, [now, limit]);
  return rows.map(collaborationFromRow);
}

/**
 * Claims reminder `number` of a pending invitation. Succeeds for exactly one caller: the one
 * that still sees the reminder count it read. Two passes or two workers cannot both send it.
 */
export async function claimReminder(sql: Sql, id: string, previous: number, number: number, nextDueAt: number, now: number): Promise<boolean> {
  const { changes } = await sql.run(
    `UPDATE collaborations SET reminders_sent = ?, next_due_at = ?, updated_at = ?
     WHERE id = ? AND state = 'pending' AND reminders_sent = ?`,
    [number, nextDueAt, now, id, previous],
  );
  return changes === 1;
}

export async function listInvitations(sql: Sql, filter: InvitationFilter): Promise<Collaboration[]> {
  const rows = await sql.all<CollaborationRow>(
    `SELECT * FROM collaborations ${filter.pendingOnly ? "WHERE state = 'pending'" : ''} ORDER BY invited_at DESC, id DESC LIMIT ?`,
    [filter.limit],
  );
  return rows.map(collaborationFromRow);
}

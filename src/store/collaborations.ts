/** SQL of the collaborations table. State changes are conditional: they say which state they expect. */
import type { Sql } from './database.js';
import type { ActivatedData } from '../messages/incoming.js';

export type CollaborationState = 'pending' | 'active' | 'expired' | 'ended';

export interface Collaboration {
  id: string;
  state: CollaborationState;
  invitationKind: 'invitation' | 'admin-welcome';
  activation: ActivatedData;
  invitedAt: number;
  expiresAt: number;
  remindersSent: number;
  nextDueAt: number | null;
  approvedAt: number | null;
  endedAt: number | null;
}

interface CollaborationRow {
  id: string;
  state: CollaborationState;
  invitation_kind: 'invitation' | 'admin-welcome';
  activation: string;
  invited_at: number;
  expires_at: number;
  reminders_sent: number;
  next_due_at: number | null;
  approved_at: number | null;
  ended_at: number | null;
}

export function fromRow(row: CollaborationRow): Collaboration {
  return {
    id: row.id,
    state: row.state,
    invitationKind: row.invitation_kind,
    activation: JSON.parse(row.activation) as ActivatedData,
    invitedAt: row.invited_at,
    expiresAt: row.expires_at,
    remindersSent: row.reminders_sent,
    nextDueAt: row.next_due_at,
    approvedAt: row.approved_at,
    endedAt: row.ended_at,
  };
}

export async function findCollaboration(sql: Sql, id: string): Promise<Collaboration | undefined> {
  const row = await sql.get<CollaborationRow>('SELECT * FROM collaborations WHERE id = ?', [id]);
  return row && fromRow(row);
}

/** Stores a new collaboration; false when one with this id exists already (nothing is changed then). */
export async function insertCollaboration(sql: Sql, c: Omit<Collaboration, 'approvedAt' | 'endedAt' | 'remindersSent'>): Promise<boolean> {
  const { changes } = await sql.run(
    `INSERT INTO collaborations (id, state, brand, relation, service_code, invitation_kind, activation,
       invited_at, expires_at, next_due_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO NOTHING`,
    [
      c.id, c.state, c.activation.brand, c.activation.customer.relation, c.activation.service.code, c.invitationKind,
      JSON.stringify(c.activation), c.invitedAt, c.expiresAt, c.nextDueAt, c.invitedAt,
    ],
  );
  return changes === 1;
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
  return rows.map(fromRow);
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

export interface InvitationFilter {
  pendingOnly: boolean;
  limit: number;
}

export async function listInvitations(sql: Sql, filter: InvitationFilter): Promise<Collaboration[]> {
  const rows = await sql.all<CollaborationRow>(
    `SELECT * FROM collaborations ${filter.pendingOnly ? "WHERE state = 'pending'" : ''} ORDER BY invited_at DESC LIMIT ?`,
    [filter.limit],
  );
  return rows.map(fromRow);
}

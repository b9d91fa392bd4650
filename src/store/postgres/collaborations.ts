/**
 * SQL of the collaborations table on PostgreSQL. Several instances write at once here, so the
 * intake holds the rows it read (FOR UPDATE) until it commits, and the reminder job skips rows
 * another transaction holds. State changes outside the intake are conditional.
 */
import type { PgSql } from './connection.js';
import { StoreConflict } from '../store-conflict.js';
import { collaborationFromRow, type Collaboration, type CollaborationRow, type CollaborationState, type InvitationFilter } from '../collaboration.js';

/**
 * Reads and locks, in id order (two batches locking in the same order cannot deadlock). A
 * concurrent writer's change is waited for, then read as committed.
 */
export async function loadCollaborations(sql: PgSql, ids: string[]): Promise<Map<string, Collaboration>> {
  if (ids.length === 0) return new Map();
  const { rows } = await sql.query<CollaborationRow>(`SELECT * FROM collaborations WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`, [ids]);
  return new Map(rows.map((r) => [r.id, collaborationFromRow(r)]));
}

/**
 * One statement for the whole batch. A row may be overwritten only if this transaction loaded
 * (and so locked) it; a "new" row someone else inserted meanwhile is left alone, and the missing
 * RETURNING row makes it a conflict: the transaction runs again and loads it.
 */
export async function saveCollaborations(sql: PgSql, collaborations: Collaboration[], loaded: ReadonlySet<string>, now: number): Promise<void> {
  if (collaborations.length === 0) return;
  const column = <T>(f: (c: Collaboration) => T) => collaborations.map(f);
  const { rowCount } = await sql.query(
    `INSERT INTO collaborations (id, state, brand, relation, service_code, invitation_kind, activation, invited_at,
       expires_at, reminders_sent, next_due_at, approved_at, ended_at, updated_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[],
       $9::bigint[], $10::int[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[])
     ON CONFLICT (id) DO UPDATE SET state = excluded.state, reminders_sent = excluded.reminders_sent,
       next_due_at = excluded.next_due_at, approved_at = excluded.approved_at, ended_at = excluded.ended_at,
       updated_at = excluded.updated_at
     WHERE collaborations.id = ANY($15::text[])`,
    [
      column((c) => c.id), column((c) => c.state), column((c) => c.activation.brand), column((c) => c.activation.customer.relation),
      column((c) => c.activation.service.code), column((c) => c.invitationKind), column((c) => JSON.stringify(c.activation)),
      column((c) => c.invitedAt), column((c) => c.expiresAt), column((c) => c.remindersSent), column((c) => c.nextDueAt),
      column((c) => c.approvedAt), column((c) => c.endedAt), column(() => now), [...loaded],
    ],
  );
  if (rowCount !== collaborations.length) {
    throw new StoreConflict(`${collaborations.length - (rowCount ?? 0)} of ${collaborations.length} collaborations were created by another worker meanwhile`);
  }
}

export async function transition(sql: PgSql, id: string, from: CollaborationState[], to: CollaborationState, now: number): Promise<boolean> {
  const stamp = to === 'active' ? ', approved_at = $2' : to === 'ended' ? ', ended_at = $2' : '';
  const { rowCount } = await sql.query(
    `UPDATE collaborations SET state = $1, next_due_at = NULL, updated_at = $2${stamp} WHERE id = $3 AND state = ANY($4::text[])`,
    [to, now, id, from],
  );
  return rowCount === 1;
}

/** Due pending invitations that no other transaction holds: concurrent passes share the work. */
export async function findDue(sql: PgSql, now: number, limit: number): Promise<Collaboration[]> {
  const { rows } = await sql.query<CollaborationRow>(
    `SELECT * FROM collaborations WHERE state = 'pending' AND next_due_at <= $1 ORDER BY next_due_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
    [now, limit],
  );
  return rows.map(collaborationFromRow);
}

export async function listDue(sql: PgSql, now: number, after: { nextDueAt: number; id: string } | undefined, limit: number): Promise<Collaboration[]> {
  const { rows } = after
    ? await sql.query<CollaborationRow>(
        `SELECT * FROM collaborations WHERE state = 'pending' AND next_due_at <= $1 AND (next_due_at, id) > ($2, $3)
         ORDER BY next_due_at, id LIMIT $4`,
        [now, after.nextDueAt, after.id, limit],
      )
    : await sql.query<CollaborationRow>(`SELECT * FROM collaborations WHERE state = 'pending' AND next_due_at <= $1 ORDER BY next_due_at, id LIMIT $2`, [now, limit]);
  return rows.map(collaborationFromRow);
}

export async function claimReminder(sql: PgSql, id: string, previous: number, number: number, nextDueAt: number, now: number): Promise<boolean> {
  const { rowCount } = await sql.query(
    `UPDATE collaborations SET reminders_sent = $1, next_due_at = $2, updated_at = $3 WHERE id = $4 AND state = 'pending' AND reminders_sent = $5`,
    [number, nextDueAt, now, id, previous],
  );
  return rowCount === 1;
}

export async function listInvitations(sql: PgSql, filter: InvitationFilter): Promise<Collaboration[]> {
  const { rows } = await sql.query<CollaborationRow>(
    `SELECT * FROM collaborations ${filter.pendingOnly ? "WHERE state = 'pending'" : ''} ORDER BY invited_at DESC, id DESC LIMIT $1`,
    [filter.limit],
  );
  return rows.map(collaborationFromRow);
}

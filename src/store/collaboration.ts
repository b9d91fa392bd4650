/**
 * Collaborations and their invitations, as the store keeps them. Times are milliseconds since
 * the epoch (UTC). State changes outside the intake are conditional: they say which state they
 * expect, so two workers cannot both make the same change.
 */
import type { ActivatedData } from '../messages/incoming.js';

export type CollaborationState = 'pending' | 'active' | 'expired' | 'ended';

export interface Collaboration {
  id: string;
  state: CollaborationState;
  invitationKind: 'invitation' | 'admin-welcome';
  /** The data of the activation event: everything later emails and commands need. */
  activation: ActivatedData;
  invitedAt: number;
  expiresAt: number;
  remindersSent: number;
  /** When the reminder job must look at it next (reminder or expiry); null when never again. */
  nextDueAt: number | null;
  approvedAt: number | null;
  endedAt: number | null;
}

export interface InvitationFilter {
  pendingOnly: boolean;
  limit: number;
}

export interface CollaborationReads {
  /** Invitations, newest first (`invitations list`). */
  list(filter: InvitationFilter): Promise<Collaboration[]>;
  /**
   * Pending invitations due at `now`, in (next_due_at, id) order, after the key `after`: a reader
   * walks them a page at a time without holding anything (the reminder CLI's dry run).
   */
  listDue(now: number, after: { nextDueAt: number; id: string } | undefined, limit: number): Promise<Collaboration[]>;
  find(id: string): Promise<Collaboration | undefined>;
  /**
   * Collaborations whose id, customer id or organisation number is `text`, or whose customer name
   * contains it (case-insensitive); newest invitation first (support's search).
   */
  search(text: string, limit: number): Promise<Collaboration[]>;
}

export interface Collaborations extends CollaborationReads {
  /**
   * The collaborations with these ids that exist, in one query for a whole batch. They are held
   * for the rest of the transaction: no other transaction changes them until it ends.
   */
  load(ids: string[]): Promise<Map<string, Collaboration>>;
  /**
   * Writes these collaborations as they are now, new or changed, in one statement. Each was
   * loaded in this transaction or is new; a new one that another worker created meanwhile is a
   * `StoreConflict` (the transaction runs again and then loads it).
   */
  save(collaborations: Collaboration[], now: number): Promise<void>;
  /**
   * Moves a collaboration from one of `from` to `to`. False when it was not in one of those
   * states any more (another worker got there first): the caller then does nothing.
   */
  transition(id: string, from: CollaborationState[], to: CollaborationState, now: number): Promise<boolean>;
  /**
   * Pending invitations due at `now`, oldest first, at most `limit`. Reads the partial index of
   * pending rows only. Rows another transaction is working on may be left out (PostgreSQL skips
   * locked rows): a concurrent pass takes them.
   */
  findDue(now: number, limit: number): Promise<Collaboration[]>;
  /**
   * Claims reminder `number` of a pending invitation. Succeeds for exactly one caller: the one
   * that still sees the reminder count it read. Two passes or two workers cannot both send it.
   */
  claimReminder(id: string, previous: number, number: number, nextDueAt: number, now: number): Promise<boolean>;
}

/** A collaborations row as both adapters read it (snake_case columns, activation as JSON text). */
export interface CollaborationRow {
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

/** The row as the rest of the code sees it. */
export function collaborationFromRow(row: CollaborationRow): Collaboration {
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


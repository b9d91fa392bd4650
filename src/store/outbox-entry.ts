/**
 * The outbox: every email, command and event leaves through a row written in the same
 * transaction as the state change that caused it, and is marked done only once delivered.
 */

export type OutboxChannel = 'email' | 'amqp';

export interface OutboxEntry {
  /** Deterministic: writing the same effect twice is a no-op. */
  id: string;
  channel: OutboxChannel;
  /** The email kind, or the routing key (= type) of the message to publish. */
  topic: string;
  collaborationId: string | null;
  payload: unknown;
}

export interface OutboxRow extends OutboxEntry {
  /** Order of writing; the handle of a leased row. */
  seq: number;
  attempts: number;
  createdAt: number;
}

export interface OutboxBacklog {
  pending: number;
  oldestCreatedAt: number | null;
}

/** Who holds a lease: `<host>:<pid>` of the worker process. */
export type LeaseOwner = string;

/**
 * A lease given to rows as they are written: the writing process's own dispatcher sends them
 * right after the commit, with no lease query in between (see src/outbox/handoff.ts).
 */
export interface OutboxLease {
  owner: LeaseOwner;
  /** Until when, in ms since the epoch; after it, any dispatcher may take the rows. */
  until: number;
}

/** An outbox row as support's timeline shows it. */
export interface SentItem {
  id: string;
  channel: OutboxChannel;
  /** The email kind, or the command's or event's type. */
  topic: string;
  status: 'pending' | 'done' | 'failed';
  attempts: number;
  lastError: string | null;
  createdAt: number;
  doneAt: number | null;
  payload: unknown;
}

export interface OutboxReads {
  /** Rows waiting for delivery and the creation time of the oldest (reads every pending row). */
  backlog(): Promise<OutboxBacklog>;
  /** Emails, commands and events queued for this collaboration, in order (done rows are pruned after RETENTION_DAYS). */
  sentFor(collaborationId: string): Promise<SentItem[]>;
}

export interface Outbox extends OutboxReads {
  /**
   * New rows are due at once, whatever the clock of whoever wrote them: a reminder pass run by
   * support `--at` a later time must not hold its emails back until then. Ids are
   * deterministic: writing the same effect again is a no-op.
   * With `lease`, the rows are written leased and returned (only those written now: a row
   * already there, sent or not, is someone else's); without, nothing is returned.
   */
  add(entries: OutboxEntry[], now: number, lease?: OutboxLease): Promise<OutboxRow[]>;
  /**
   * Leases up to `limit` due rows for `leaseMs`, oldest first. Another worker, on this machine
   * or another, skips leased rows; a worker that dies lets its lease run out and the rows are
   * taken again: the lease bounds how long a dead worker's rows wait.
   */
  leaseDue(now: number, limit: number, leaseMs: number, owner: LeaseOwner): Promise<OutboxRow[]>;
  markDelivered(seqs: number[], now: number): Promise<void>;
  reschedule(seq: number, nextAttemptAt: number, error: string): Promise<void>;
  markUndeliverable(seq: number, error: string): Promise<void>;
  /** Support sent a failed delivery back: it is due now, with a fresh retry budget. */
  revive(id: string, now: number): Promise<boolean>;
}

/** The rows just written with a lease, from the entries and the `seq` each was given (by id). */
export function writtenRows(entries: OutboxEntry[], seqById: Map<string, number>, now: number): OutboxRow[] {
  return entries.flatMap((e) => {
    const seq = seqById.get(e.id);
    return seq === undefined ? [] : [{ ...e, seq, attempts: 0, createdAt: now }];
  });
}

/** A leased outbox row (snake_case columns, payload as JSON text) as the dispatcher sees it. */
export function outboxRowFromRow(r: Record<string, unknown>): OutboxRow {
  return {
    seq: r.seq as number,
    id: r.id as string,
    channel: r.channel as OutboxChannel,
    topic: r.topic as string,
    collaborationId: r.collaboration_id as string | null,
    payload: JSON.parse(r.payload as string) as unknown,
    attempts: r.attempts as number,
    createdAt: r.created_at as number,
  };
}

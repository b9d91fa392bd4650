/**
 * The store port: all the worker keeps, and the only way the rest of the code reaches it. Two
 * adapters hold the same behaviour and pass one test suite (test/store/store-suite.ts):
 * `sqlite/`, the embedded default (one file, one machine), and `postgres/`, for several worker
 * instances on several machines sharing one database. Nothing outside src/store knows which
 * one runs; SQL lives only in the adapters.
 */
import type { CollaborationReads, Collaborations } from './collaboration.js';
import type { CustomerAdminReads, CustomerAdmins } from './customer-admin.js';
import type { Inbox, InboxReads } from './inbox-mark.js';
import type { AuditLog, AuditLogReads } from './audit-action.js';
import type { LeaseOwner, Outbox, OutboxReads } from './outbox-entry.js';
import type { FailedMessageReads, FailedMessages } from './failed-message.js';
import type { PruneOptions, Pruned } from './pruning.js';
import type { RowWriter, TableCounts } from './tables.js';
import type { Logger } from '../logger.js';

/** What a write transaction sees: every table, reads and writes. */
export interface StoreTx {
  collaborations: Collaborations;
  customerAdmins: CustomerAdmins;
  inbox: Inbox;
  outbox: Outbox;
  failed: FailedMessages;
  auditLog: AuditLog;
}

/** Reads that take no write lock (lists, counts for metrics, the CLI and support's views). */
export interface StoreReads {
  collaborations: CollaborationReads;
  customerAdmins: CustomerAdminReads;
  inbox: InboxReads;
  outbox: OutboxReads;
  failed: FailedMessageReads;
  auditLog: AuditLogReads;
}

export interface TakenBackLeases {
  owner: LeaseOwner;
  released: number;
}

export interface Store {
  /** Where the data is, for logs: the SQLite file, or the PostgreSQL URL without its password. */
  readonly description: string;

  /**
   * One write transaction: all of `work` or none of it. On PostgreSQL, a conflict with a
   * concurrent transaction of another worker (`StoreConflict`) runs `work` again, up to a few
   * times: so `work` must have no effect outside the transaction but what it returns.
   */
  transaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T>;

  /** Reads without the write lock; each read sees what was committed when it ran. */
  read<T>(work: (reads: StoreReads) => Promise<T>): Promise<T>;

  /**
   * Deletes done outbox rows and inbox marks older than `before` (ms since the epoch), a window
   * of rows per transaction. Undefined when another instance is pruning right now (one at a time).
   */
  prune(before: number, options?: PruneOptions): Promise<Pruned | undefined>;

  /**
   * Ends the outbox leases of workers known to be gone, so their rows are due again now instead
   * of when the lease runs out. SQLite (one machine): owners on this host whose process is gone.
   * PostgreSQL: none; other machines' leases run out (that bounds how long their rows wait).
   */
  takeBackLeases(now: number): Promise<TakenBackLeases[]>;

  /**
   * Calls `listener` when any instance commits new outbox rows (PostgreSQL: LISTEN/NOTIFY).
   * SQLite calls it never: workers there wake their own dispatcher and poll. Returns unsubscribe.
   */
  onOutboxAdded(listener: () => void): () => void;

  /** False while the database cannot be reached (connection lost and not yet back). */
  readonly reachable: boolean;
  /** Resolves once the database answers again (at once when it does); rejects when `signal` aborts. */
  whenReachable(signal?: AbortSignal): Promise<void>;
  /** The error says the database could not be reached (not that a statement was wrong). */
  isUnreachable(err: unknown): boolean;

  /**
   * Housekeeping while a worker runs; returns its stop. SQLite: a WAL grown past its limit is
   * checkpointed and truncated every minute. PostgreSQL: none (its autovacuum does that part).
   */
  startUpkeep(log: Logger): () => void;

  /** Rows in each table. */
  counts(): Promise<TableCounts>;
  /** Every row of every table, in copy order, from one consistent snapshot. */
  exportRows(write: RowWriter): Promise<void>;
  /** Writes what `fill` hands over, in one transaction, keeping numbered ids; for an empty store. */
  importRows(fill: (write: RowWriter) => Promise<void>): Promise<void>;

  close(): Promise<void>;
}

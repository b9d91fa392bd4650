/**
 * The SQLite adapter of the store port: one file (WAL) on one machine, the embedded default.
 * Write transactions take the write lock up front (BEGIN IMMEDIATE), so a transaction never
 * meets a concurrent change: no conflicts, and several processes on this host can share the file.
 */
import fs from 'node:fs';
import type { Store, StoreReads, StoreTx } from '../store.js';
import type { OpenOptions } from '../open-store.js';
import type { PruneOptions, Pruned } from '../pruning.js';
import type { RowWriter, TableCounts } from '../tables.js';
import { Database, type Sql } from './database.js';
import { migrate, schemaVersion, SCHEMA_VERSION } from './migrations.js';
import { startWalCheckpoints } from './wal-checkpoint.js';
import { SettingError } from '../../config.js';
import { prepareDatabasePath } from '../../support/storage-paths.js';
import type { Logger } from '../../logger.js';
import { claimReminder, findCollaborations, findDue, listDue, listInvitations, saveCollaborations, transition } from './collaborations.js';
import { expireToken, findAdminByCollaboration, insertCustomerAdmins, redeemToken } from './customer-admins.js';
import { findHandled, markHandled } from './inbox.js';
import { addToOutbox, backlog, leaseDue, markDelivered, markUndeliverable, reschedule, revive } from './outbox.js';
import { auditTrail, countFailedByStatus, groupFailed, listFailed, markRequeued, moveFailed, recordFailure, recordRequeueOutcome, setFailedStatus } from './failed-messages.js';
import { pruneOld } from './retention.js';
import { findAdminByTokenHash, markActivated } from './activation.js';
import { addAuditLog, listAuditLog } from './audit-log.js';
import { countFailed, failedIds, findFailedPage, groupSpans } from './failed-search.js';
import { findCollaboration, receivedEvents, searchCollaborations, sentFor } from './timeline.js';
import { takeBackLeases } from './leases.js';
import { countRows, exportRows, importInto } from './copy.js';

/** How long a transaction waits for another process's write lock unless told otherwise. */
const LOCK_TIMEOUT_MS = 10_000;

export class SqliteStore implements Store {
  readonly reachable = true;
  readonly description: string;

  private constructor(
    /** The connection itself, for tests that look at the tables. */
    readonly db: Database,
    readonly path: string,
    private readonly lockTimeoutMs: number,
  ) {
    this.description = `sqlite:${path}`;
  }

  /**
   * Opens (or creates) the file at `path` and brings its schema up to date; read-only when asked
   * and the file is there with the current layout (see OpenOptions). A file that cannot be opened
   * is a SettingError naming DATABASE_PATH.
   */
  static async open(path: string, options: OpenOptions = {}): Promise<SqliteStore> {
    const lockTimeoutMs = options.lockTimeoutMs ?? LOCK_TIMEOUT_MS;
    if (options.readOnly && fs.existsSync(path)) {
      const db = await openFile(path, { readOnly: true, lockTimeoutMs });
      if ((await schemaVersion(db)) >= SCHEMA_VERSION) return new SqliteStore(db, path, lockTimeoutMs);
      await db.close();
      options.onMigrate?.(`the database ${path} has an older layout: migrating it first (this takes the write lock)`);
    }
    prepareDatabasePath(path);
    const db = await openFile(path, { lockTimeoutMs, onLockWait: options.onLockWait });
    try {
      await migrate(db);
    } catch (err) {
      await db.close().catch(() => undefined);
      throw err;
    }
    return new SqliteStore(db, path, lockTimeoutMs);
  }

  /** A write lock another process held past the timeout fails the transaction, saying so. */
  async transaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction((sql) => work(this.txFor(sql)));
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
      throw new Error(
        `the write lock of ${this.path} (DATABASE_PATH) stayed held by another process for ${this.lockTimeoutMs / 1000} s: nothing was changed, try again`,
        { cause: err },
      );
    }
  }

  /** The transaction's repositories, built once: every transaction runs on the same Sql (see Database). */
  private txFor(sql: Sql): StoreTx {
    if (this.txSql !== sql) this.tx = txOf((this.txSql = sql));
    return this.tx!;
  }

  private txSql: Sql | undefined;
  private tx: StoreTx | undefined;

  read<T>(work: (reads: StoreReads) => Promise<T>): Promise<T> {
    return work(readsOf(this.db));
  }

  prune(before: number, options?: PruneOptions): Promise<Pruned> {
    return pruneOld(this.db, before, options);
  }

  takeBackLeases(now: number) {
    return takeBackLeases(this.db, now);
  }

  onOutboxAdded(): () => void {
    return () => undefined;
  }

  startUpkeep(log: Logger): () => void {
    const checkpoints = startWalCheckpoints(this.db, log);
    return () => checkpoints.stop();
  }

  async whenReachable(): Promise<void> {}

  isUnreachable(): boolean {
    return false;
  }

  counts(): Promise<TableCounts> {
    return countRows(this.db);
  }

  exportRows(write: RowWriter): Promise<void> {
    return exportRows(this.db, write);
  }

  importRows(fill: (write: RowWriter) => Promise<void>): Promise<void> {
    return this.db.transaction((sql) => fill(importInto(sql)));
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

/** The file as a SQLite database, or a SettingError naming DATABASE_PATH with SQLite's reason. */
async function openFile(path: string, options: Parameters<typeof Database.open>[1]): Promise<Database> {
  try {
    return await Database.open(path, options);
  } catch (err) {
    throw new SettingError('DATABASE_PATH', `DATABASE_PATH=${JSON.stringify(path)} cannot be opened as a SQLite database: ${(err as Error).message}`);
  }
}

function readsOf(sql: Sql): StoreReads {
  return {
    collaborations: {
      list: (filter) => listInvitations(sql, filter),
      listDue: (now, after, limit) => listDue(sql, now, after, limit),
      find: (id) => findCollaboration(sql, id),
      search: (text, limit) => searchCollaborations(sql, text, limit),
    },
    customerAdmins: {
      findByCollaboration: (id) => findAdminByCollaboration(sql, id),
      findByTokenHash: (hash) => findAdminByTokenHash(sql, hash),
    },
    inbox: { receivedEvents: (id) => receivedEvents(sql, id) },
    outbox: { backlog: () => backlog(sql), sentFor: (id) => sentFor(sql, id) },
    failed: {
      list: (filter) => listFailed(sql, filter),
      groups: () => groupFailed(sql),
      auditTrail: (id) => auditTrail(sql, id),
      countByStatus: () => countFailedByStatus(sql),
      findPage: (query, cursor, limit) => findFailedPage(sql, query, cursor, limit),
      count: (query) => countFailed(sql, query),
      ids: (query) => failedIds(sql, query),
      groupSpans: () => groupSpans(sql),
    },
    auditLog: { list: (beforeId, limit) => listAuditLog(sql, beforeId, limit) },
  };
}

function txOf(sql: Sql): StoreTx {
  const reads = readsOf(sql);
  return {
    collaborations: {
      ...reads.collaborations,
      load: (ids) => findCollaborations(sql, ids),
      save: (collaborations, now) => saveCollaborations(sql, collaborations, now),
      transition: (id, from, to, now) => transition(sql, id, from, to, now),
      findDue: (now, limit) => findDue(sql, now, limit),
      claimReminder: (id, previous, number, nextDueAt, now) => claimReminder(sql, id, previous, number, nextDueAt, now),
    },
    customerAdmins: {
      ...reads.customerAdmins,
      insert: (admins, now) => insertCustomerAdmins(sql, admins, now),
      markActivated: (adminId, now) => markActivated(sql, adminId, now),
      redeemToken: (hash, now) => redeemToken(sql, hash, now),
      expireToken: (id, now) => expireToken(sql, id, now),
    },
    inbox: {
      ...reads.inbox,
      findHandled: (events) => findHandled(sql, events),
      markHandled: (events, now) => markHandled(sql, events, now),
    },
    outbox: {
      ...reads.outbox,
      add: (entries, now, lease) => addToOutbox(sql, entries, now, lease),
      leaseDue: (now, limit, leaseMs, owner) => leaseDue(sql, now, limit, leaseMs, owner),
      markDelivered: (seqs, now) => markDelivered(sql, seqs, now),
      reschedule: (seq, at, error) => reschedule(sql, seq, at, error),
      markUndeliverable: (seq, error) => markUndeliverable(sql, seq, error),
      revive: (id, now) => revive(sql, id, now),
    },
    failed: {
      ...reads.failed,
      record: (failure, now) => recordFailure(sql, failure, now),
      setStatus: (id, status, actor, now) => setFailedStatus(sql, id, status, actor, now),
      markRequeued: (id, attempts, actor, at) => markRequeued(sql, id, attempts, actor, at),
      move: (id, from, to, action, actor, now) => moveFailed(sql, id, from, to, action, actor, now),
      recordRequeueOutcome: (id, action, now) => recordRequeueOutcome(sql, id, action, now),
    },
    auditLog: {
      ...reads.auditLog,
      add: (action, now) => addAuditLog(sql, action, now),
    },
  };
}

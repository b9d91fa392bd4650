/**
 * The PostgreSQL adapter of the store port: several worker instances, on several machines, on
 * one database. Transactions run at READ COMMITTED and hold what they read with row locks (the
 * intake) or skip what others hold (the outbox and the reminder job); a conflict with another
 * instance's concurrent transaction runs the transaction again. Connection failures mark the
 * database unreachable until it answers again (reachability.ts).
 */
import type pg from 'pg';
import type { Store, StoreReads, StoreTx, TakenBackLeases } from '../store.js';
import type { PruneOptions, Pruned } from '../pruning.js';
import type { RowWriter, TableCounts } from '../tables.js';
import { StoreConflict } from '../store-conflict.js';
import { SettingError } from '../../config.js';
import type { Logger } from '../../logger.js';
import { DatabaseUnreachable, connectionConfig, createPool, isConnectionError, redactUrl, type PgSql, type PoolSettings } from './connection.js';
import { migrate } from './migrations.js';
import { Reachability } from './reachability.js';
import { OutboxNotifications } from './notifications.js';
import { claimReminder, findDue, listDue, listInvitations, loadCollaborations, saveCollaborations, transition } from './collaborations.js';
import { expireToken, findAdminByCollaboration, insertCustomerAdmins, redeemToken } from './customer-admins.js';
import { findHandled, markHandled } from './inbox.js';
import { addToOutbox, backlog, leaseDue, markDelivered, markUndeliverable, reschedule, revive } from './outbox.js';
import { auditTrail, countFailedByStatus, groupFailed, listFailed, markRequeued, moveFailed, recordFailure, recordRequeueOutcome, setFailedStatus } from './failed-messages.js';
import { pruneOld } from './retention.js';
import { findAdminByTokenHash, markActivated } from './activation.js';
import { addAuditLog, listAuditLog } from './audit-log.js';
import { countFailed, failedIds, findFailedPage, groupSpans } from './failed-search.js';
import { findCollaboration, receivedEvents, searchCollaborations, sentFor } from './timeline.js';
import { countRows, exportRows, importInto, moveCountersPastCopiedRows } from './copy.js';

export interface PostgresSettings extends PoolSettings {
  log?: Logger;
  /** What start errors call the URL (default DATABASE_URL; `store copy` says --to). */
  setting?: string;
}

/** Tries of a transaction that meets conflicts; each try waited for the other side's commit. */
const CONFLICT_TRIES = 5;
/** SQLSTATEs of a clash with a concurrent transaction: serialization failure, deadlock, duplicate key. */
const CONFLICT_STATES = new Set(['40001', '40P01', '23505']);

export class PostgresStore implements Store {
  readonly description: string;
  private readonly notifications: OutboxNotifications;
  /** Reads outside a transaction, each on a pooled connection, failures noted. */
  private readonly reads: StoreReads;

  private constructor(
    /** The pool itself, for tests that look at the tables. */
    readonly pool: pg.Pool,
    private readonly reachability: Reachability,
    settings: PostgresSettings,
  ) {
    this.description = redactUrl(settings.url);
    this.notifications = new OutboxNotifications(connectionConfig(settings), settings.log, (err) => reachability.lost(err));
    this.reads = readsOf({ query: (text, values) => this.withClient((client) => client.query(text, values)) });
  }

  /**
   * Connects, checks the connection works and brings the schema up to date. A bad URL, a refused
   * connection or wrong credentials fail here with a message naming DATABASE_URL.
   */
  static async open(settings: PostgresSettings): Promise<PostgresStore> {
    const where = `${settings.setting ?? 'DATABASE_URL'}=${redactUrl(settings.url)}`;
    let pool: pg.Pool;
    try {
      pool = createPool(settings);
    } catch (err) {
      throw new SettingError(settings.setting ?? 'DATABASE_URL', `${where} is not usable: ${(err as Error).message}`);
    }
    const reachability = new Reachability(pool, settings.log);
    // An idle pooled connection the server closes (restart, pg_terminate_backend) must not crash the process.
    pool.on('error', (err) => reachability.lost(err));
    try {
      (await pool.connect()).release();
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw new SettingError(settings.setting ?? 'DATABASE_URL', `${where}: could not connect: ${(err as Error).message || (err as { code?: string }).code}`);
    }
    try {
      await migrate(pool);
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw new Error(`${where}: could not bring the schema up to date: ${(err as Error).message}`, { cause: err });
    }
    return new PostgresStore(pool, reachability, settings);
  }

  get reachable(): boolean {
    return this.reachability.reachable;
  }

  whenReachable(signal?: AbortSignal): Promise<void> {
    return this.reachability.whenReachable(signal);
  }

  isUnreachable(err: unknown): boolean {
    return isConnectionError(err);
  }

  async transaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.connect();
      let failure: unknown;
      try {
        await client.query('BEGIN');
        const result = await work(txOf(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        failure = err;
        await client.query('ROLLBACK').catch(() => undefined);
      } finally {
        // A broken connection is closed, not handed to the next caller.
        client.release(failure !== undefined && isConnectionError(failure));
      }
      const conflict = asConflict(failure);
      if (conflict && attempt < CONFLICT_TRIES) continue;
      throw this.noted(conflict ?? failure);
    }
  }

  read<T>(work: (reads: StoreReads) => Promise<T>): Promise<T> {
    return work(this.reads);
  }

  async prune(before: number, options?: PruneOptions): Promise<Pruned | undefined> {
    try {
      return await pruneOld(() => this.connect(), before, options);
    } catch (err) {
      throw this.noted(err);
    }
  }

  /** Leases of other machines cannot be judged from here: they run out (see Store). */
  async takeBackLeases(): Promise<TakenBackLeases[]> {
    return [];
  }

  onOutboxAdded(listener: () => void): () => void {
    return this.notifications.subscribe(listener);
  }

  startUpkeep(): () => void {
    return () => undefined;
  }

  counts(): Promise<TableCounts> {
    return this.withClient((client) => countRows(client));
  }

  exportRows(write: RowWriter): Promise<void> {
    return this.withClient((client) => exportRows(client, write));
  }

  async importRows(fill: (write: RowWriter) => Promise<void>): Promise<void> {
    await this.withClient(async (client) => {
      await client.query('BEGIN');
      try {
        await fill(importInto(client));
        await moveCountersPastCopiedRows(client);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  async close(): Promise<void> {
    this.reachability.close();
    await this.notifications.close();
    await this.pool.end();
  }

  /**
   * A pooled connection; failing to get one means the database cannot be reached. While it is
   * checked out, the pool does not listen to it: a connection cut between two statements would
   * be an uncaught 'error' (a crash), so it is listened to here until released. Its next
   * statement then fails, and the transaction with it.
   */
  private async connect(): Promise<pg.PoolClient> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.noted(new DatabaseUnreachable(err));
    }
    const lost = (err: Error) => this.noted(err);
    client.on('error', lost);
    const release = client.release.bind(client);
    client.release = (destroy?: boolean | Error) => {
      client.removeListener('error', lost);
      client.release = release;
      release(destroy);
    };
    return client;
  }

  private async withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.connect();
    let failure: unknown;
    try {
      return await work(client);
    } catch (err) {
      failure = err;
      throw this.noted(err);
    } finally {
      client.release(failure !== undefined && isConnectionError(failure));
    }
  }

  /** A connection failure makes the database unreachable until it answers again. */
  private noted(err: unknown): unknown {
    if (isConnectionError(err)) this.reachability.lost(err);
    return err;
  }
}

function asConflict(err: unknown): StoreConflict | undefined {
  if (err instanceof StoreConflict) return err;
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && CONFLICT_STATES.has(code)) return new StoreConflict(`concurrent change: ${(err as Error).message}`, { cause: err });
  return undefined;
}

function readsOf(sql: PgSql): StoreReads {
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

function txOf(sql: PgSql): StoreTx {
  const reads = readsOf(sql);
  /** Collaborations this transaction holds: the only existing rows its save may overwrite. */
  const loaded = new Set<string>();
  return {
    collaborations: {
      ...reads.collaborations,
      load: async (ids) => {
        const found = await loadCollaborations(sql, ids);
        for (const id of found.keys()) loaded.add(id);
        return found;
      },
      save: (collaborations, now) => saveCollaborations(sql, collaborations, loaded, now),
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

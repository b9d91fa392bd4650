/**
 * A small promise layer over one sqlite3 connection.
 *
 * sqlite3 runs statements of one connection in order, but an open transaction is shared by
 * everything on that connection. So every use goes through one queue: a transaction runs
 * alone, and nothing of another caller can slip in between its BEGIN and COMMIT.
 */
import fs from 'node:fs';
import sqlite3 from 'sqlite3';
import { StatementCache } from './statement-cache.js';

export type SqlValue = string | number | bigint | null | Buffer;
export type Row = Record<string, unknown>;

/** What repositories need: run a statement, read one row, read many. */
export interface Sql {
  run(sql: string, params?: SqlValue[]): Promise<{ changes: number; lastID: number }>;
  get<T = Row>(sql: string, params?: SqlValue[]): Promise<T | undefined>;
  all<T = Row>(sql: string, params?: SqlValue[]): Promise<T[]>;
}

export interface OpenOptions {
  /** Reads only (SQLITE_OPEN_READONLY): never takes the write lock, so a long write elsewhere never blocks it. */
  readOnly?: boolean;
  /** How long a statement or transaction waits for another process's write lock, in ms (default 10 s). */
  lockTimeoutMs?: number;
  /**
   * Called when a transaction finds the write lock held and starts waiting for it (the CLI says
   * so on stderr). Unset, transactions just wait.
   */
  onLockWait?: () => void;
}

/**
 * The WAL file is cut back to this many bytes when SQLite resets it (journal_size_limit), and
 * checkpointed down to nothing when it has grown past it (checkpointWal, at close). Without
 * it, the WAL keeps the size it reached during the longest write or read ever held.
 */
export const WAL_LIMIT_BYTES = 16 * 1024 * 1024;

/**
 * The statements that open and end transactions, kept prepared like those with parameters:
 * sqlite3's `Database.run` prepares a statement on its thread and then runs it there, two round
 * trips from the main thread and back for every BEGIN IMMEDIATE and COMMIT (each 40–60 µs when
 * idle here, far more when the main thread is busy); a statement kept prepared takes one.
 */
const KEPT_PREPARED = new Set(['BEGIN', 'BEGIN IMMEDIATE', 'COMMIT', 'ROLLBACK']);

export class Database {
  private queue: Promise<unknown> = Promise.resolve();
  /** Prepared once, run many times: parsing a statement costs more than running it. */
  private readonly statements = new StatementCache((sql) => this.prepare(sql));

  private constructor(
    private readonly db: sqlite3.Database,
    readonly file: string,
    private readonly options: Required<Omit<OpenOptions, 'onLockWait'>> & Pick<OpenOptions, 'onLockWait'>,
  ) {}

  /** Opens (or creates, unless read-only) `file`; its directory must exist (see support/storage-paths.ts). */
  static async open(file: string, options: OpenOptions = {}): Promise<Database> {
    const readOnly = options.readOnly ?? false;
    const lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
    const db = await new Promise<sqlite3.Database>((resolve, reject) => {
      const mode = readOnly ? sqlite3.OPEN_READONLY : sqlite3.OPEN_READWRITE | sqlite3.OPEN_CREATE;
      const handle = new sqlite3.Database(file, mode, (err) => (err ? reject(err) : resolve(handle)));
    });
    const database = new Database(db, file, { readOnly, lockTimeoutMs, onLockWait: options.onLockWait });
    try {
      if (readOnly) {
        await database.exec(`PRAGMA busy_timeout = ${lockTimeoutMs}; PRAGMA query_only = ON;`);
      } else {
        // WAL lets readers (the CLI, other workers) run beside the writer; NORMAL is durable across
        // process crashes, which is the failure the outbox protects against. Several worker processes
        // may share the file: wait for each other's write locks rather than fail at once.
        await database.exec(
          `PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = ${lockTimeoutMs}; PRAGMA foreign_keys = ON; ` +
            `PRAGMA journal_size_limit = ${WAL_LIMIT_BYTES};`,
        );
      }
    } catch (err) {
      await new Promise((resolve) => db.close(resolve));
      throw err;
    }
    return database;
  }

  get readOnly(): boolean {
    return this.options.readOnly;
  }

  /** The size of the WAL file beside the database, in bytes; 0 when there is none. */
  walBytes(): number {
    try {
      return fs.statSync(`${this.file}-wal`).size;
    } catch {
      return 0;
    }
  }

  /**
   * Copies the WAL into the database and truncates it to zero bytes (wal_checkpoint(TRUNCATE)),
   * without waiting: when a reader or writer elsewhere is in the way, it gives up at once and
   * returns false (the next call tries again). Never blocks this connection's other work for long.
   */
  checkpointWal(): Promise<boolean> {
    return this.enqueue(async () => {
      await this.rawRun('PRAGMA busy_timeout = 0');
      try {
        const result = await this.rawGet<{ busy: number; log: number; checkpointed: number }>('PRAGMA wal_checkpoint(TRUNCATE)');
        return result?.busy === 0;
      } finally {
        await this.rawRun(`PRAGMA busy_timeout = ${this.options.lockTimeoutMs}`);
      }
    });
  }

  exec(sql: string): Promise<void> {
    return this.enqueue(() => new Promise((resolve, reject) => this.db.exec(sql, (err) => (err ? reject(err) : resolve()))));
  }

  run(sql: string, params: SqlValue[] = []) {
    return this.enqueue(() => this.rawRun(sql, params));
  }

  get<T = Row>(sql: string, params: SqlValue[] = []) {
    return this.enqueue(() => this.rawGet<T>(sql, params));
  }

  all<T = Row>(sql: string, params: SqlValue[] = []) {
    return this.enqueue(() => this.rawAll<T>(sql, params));
  }

  /**
   * One write transaction. BEGIN IMMEDIATE takes the write lock up front, so two processes
   * never both read and then both try to upgrade (which SQLite answers with SQLITE_BUSY).
   */
  transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    return this.inTransaction(() => this.begin(), fn);
  }

  /** A read transaction: one consistent snapshot (WAL), without the write lock. */
  snapshot<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    return this.inTransaction(async () => void (await this.rawRun('BEGIN')), fn);
  }

  private inTransaction<T>(begin: () => Promise<void>, fn: (sql: Sql) => Promise<T>): Promise<T> {
    return this.enqueue(async () => {
      await begin();
      try {
        const result = await fn(this.inTransactionSql);
        await this.rawRun('COMMIT');
        return result;
      } catch (err) {
        await this.rawRun('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  /** Closes the connection, after a last WAL checkpoint when it writes (see WAL_LIMIT_BYTES). */
  async close(): Promise<void> {
    if (!this.readOnly) await this.checkpointWal().catch(() => false);
    return this.enqueue(async () => {
      await this.statements.clear();
      await new Promise<void>((resolve, reject) => this.db.close((err) => (err ? reject(err) : resolve())));
    });
  }

  /** How many prepared statements this connection keeps, and their parameters in all (see StatementCache). */
  get keptStatements(): { statements: number; parameters: number } {
    return this.statements.size;
  }

  /**
   * sqlite3 never calls back the runs of a statement that failed to compile (and without a
   * callback of its own, prepare throws the error out of reach): so wait for the compile and give
   * its error to the caller.
   */
  private prepare(sql: string): Promise<sqlite3.Statement> {
    return new Promise((resolve, reject) => {
      const prepared: sqlite3.Statement = this.db.prepare(sql, (err: Error | null) => (err ? reject(err) : resolve(prepared)));
    });
  }

  /** BEGIN IMMEDIATE; with onLockWait, a first try that does not wait tells whether it must. */
  private async begin(): Promise<void> {
    if (!this.options.onLockWait) return void (await this.rawRun('BEGIN IMMEDIATE'));
    await this.rawRun('PRAGMA busy_timeout = 0');
    try {
      await this.rawRun('BEGIN IMMEDIATE');
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
      this.options.onLockWait();
      await this.rawRun(`PRAGMA busy_timeout = ${this.options.lockTimeoutMs}`);
      await this.rawRun('BEGIN IMMEDIATE');
    } finally {
      await this.rawRun(`PRAGMA busy_timeout = ${this.options.lockTimeoutMs}`);
    }
  }

  /** What a transaction's work runs its statements on: straight to the connection, not through the queue it holds. One object, so that callers can keep what they build on it. */
  private readonly inTransactionSql: Sql = {
    run: (sql, params = []) => this.rawRun(sql, params),
    get: (sql, params = []) => this.rawGet(sql, params),
    all: (sql, params = []) => this.rawAll(sql, params),
  };

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task, task);
    this.queue = result.catch(() => undefined);
    return result;
  }

  // Statements with parameters and the transaction's own (KEPT_PREPARED) are prepared once and
  // kept; the few others without parameters (PRAGMAs, migrations) run directly.
  private rawRun(sql: string, params: SqlValue[] = []): Promise<{ changes: number; lastID: number }> {
    return new Promise((resolve, reject) => {
      if (params.length === 0 && !KEPT_PREPARED.has(sql)) {
        this.db.run(sql, function (this: sqlite3.RunResult, err: Error | null) {
          if (err) reject(err);
          else resolve({ changes: this.changes, lastID: this.lastID });
        });
        return;
      }
      this.statements.get(sql, params.length).then(
        (statement) =>
          statement.run(params, function (this: sqlite3.RunResult, err: Error | null) {
            if (err) resetThenReject(statement, err, reject);
            else resolve({ changes: this.changes, lastID: this.lastID });
          }),
        reject,
      );
    });
  }

  private async rawGet<T>(sql: string, params: SqlValue[] = []): Promise<T | undefined> {
    if (params.length === 0) return new Promise((resolve, reject) => this.db.get(sql, (err: Error | null, row: T | undefined) => (err ? reject(err) : resolve(row))));
    // A prepared get() stops after the first row and leaves its statement open, which blocks
    // COMMIT ("SQL statements in progress"); all() runs it to the end.
    return (await this.rawAll<T>(sql, params))[0];
  }

  private rawAll<T>(sql: string, params: SqlValue[] = []): Promise<T[]> {
    return new Promise((resolve, reject) => {
      if (params.length === 0) {
        this.db.all(sql, (err: Error | null, rows: unknown[]) => (err ? reject(err) : resolve(rows as T[])));
        return;
      }
      this.statements.get(sql, params.length).then(
        (statement) => statement.all(params, (err: Error | null, rows: unknown[]) => (err ? resetThenReject(statement, err, reject) : resolve(rows as T[]))),
        reject,
      );
    });
  }
}

/**
 * A kept statement that failed can be left half-run: one stopped by SQLITE_BUSY (a BEGIN
 * IMMEDIATE that waited out the lock timeout) still counts as a writing statement until it is
 * reset, so the connection's reads would keep an old snapshot and a read transaction's COMMIT
 * would fail with "SQL statements in progress". sqlite3 resets a statement only when it runs it
 * again, so reset it now.
 */
function resetThenReject(statement: sqlite3.Statement, err: Error, reject: (err: Error) => void): void {
  statement.reset(() => reject(err));
}

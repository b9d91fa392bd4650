/**
 * A small promise layer over one sqlite3 connection.
 *
 * sqlite3 runs statements of one connection in order, but an open transaction is shared by
 * everything on that connection. So every use goes through one queue: a transaction runs
 * alone, and nothing of another caller can slip in between its BEGIN and COMMIT.
 */
import sqlite3 from 'sqlite3';

export type SqlValue = string | number | bigint | null | Buffer;
export type Row = Record<string, unknown>;

/** What repositories need: run a statement, read one row, read many. */
export interface Sql {
  run(sql: string, params?: SqlValue[]): Promise<{ changes: number; lastID: number }>;
  get<T = Row>(sql: string, params?: SqlValue[]): Promise<T | undefined>;
  all<T = Row>(sql: string, params?: SqlValue[]): Promise<T[]>;
}

export class Database {
  private queue: Promise<unknown> = Promise.resolve();
  /** Prepared once, run many times: parsing a statement costs more than running it. */
  private readonly statements = new Map<string, Promise<sqlite3.Statement>>();

  private constructor(private readonly db: sqlite3.Database) {}

  /** Opens (or creates) `file`; its directory must exist (see support/storage-paths.ts). */
  static async open(file: string): Promise<Database> {
    const db = await new Promise<sqlite3.Database>((resolve, reject) => {
      const handle = new sqlite3.Database(file, (err) => (err ? reject(err) : resolve(handle)));
    });
    const database = new Database(db);
    // WAL lets readers (the CLI, other workers) run beside the writer; NORMAL is durable across
    // process crashes, which is the failure the outbox protects against. Several worker processes
    // may share the file: wait for each other's write locks rather than fail at once.
    await database.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;');
    return database;
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
    return this.enqueue(async () => {
      await this.rawRun('BEGIN IMMEDIATE');
      try {
        const result = await fn(this.transactionSql());
        await this.rawRun('COMMIT');
        return result;
      } catch (err) {
        await this.rawRun('ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  close(): Promise<void> {
    return this.enqueue(async () => {
      for (const preparing of this.statements.values()) {
        const statement = await preparing.catch(() => undefined);
        if (statement) await new Promise((resolve) => statement.finalize(() => resolve(undefined)));
      }
      this.statements.clear();
      await new Promise<void>((resolve, reject) => this.db.close((err) => (err ? reject(err) : resolve())));
    });
  }

  /**
   * sqlite3 never calls back the runs of a statement that failed to compile (and without a
   * callback of its own, prepare throws the error out of reach): so wait for the compile, give
   * its error to the caller, and do not keep the statement (a later schema may compile it).
   */
  private prepared(sql: string): Promise<sqlite3.Statement> {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = new Promise((resolve, reject) => {
        const prepared: sqlite3.Statement = this.db.prepare(sql, (err: Error | null) => (err ? reject(err) : resolve(prepared)));
      });
      statement.catch(() => this.statements.delete(sql));
      this.statements.set(sql, statement);
    }
    return statement;
  }

  private transactionSql(): Sql {
    return {
      run: (sql, params = []) => this.rawRun(sql, params),
      get: (sql, params = []) => this.rawGet(sql, params),
      all: (sql, params = []) => this.rawAll(sql, params),
    };
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const result = this.queue.then(task, task);
    this.queue = result.catch(() => undefined);
    return result;
  }

  // Statements with parameters are prepared once and kept; the few without (BEGIN, SAVEPOINT
  // names, PRAGMAs) run directly.
  private rawRun(sql: string, params: SqlValue[] = []): Promise<{ changes: number; lastID: number }> {
    return new Promise((resolve, reject) => {
      const done = function (this: sqlite3.RunResult, err: Error | null) {
        if (err) reject(err);
        else resolve({ changes: this.changes, lastID: this.lastID });
      };
      if (params.length === 0) this.db.run(sql, done);
      else this.prepared(sql).then((statement) => statement.run(params, done), reject);
    });
  }

  private rawGet<T>(sql: string, params: SqlValue[] = []): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      const done = (err: Error | null, row: unknown) => (err ? reject(err) : resolve(row as T | undefined));
      if (params.length === 0) this.db.get(sql, done);
      // A prepared get() stops after the first row and leaves its statement open, which blocks
      // COMMIT ("SQL statements in progress"); all() runs it to the end.
      else this.prepared(sql).then((statement) => statement.all(params, (err: Error | null, rows: unknown[]) => done(err, rows?.[0])), reject);
    });
  }

  private rawAll<T>(sql: string, params: SqlValue[] = []): Promise<T[]> {
    return new Promise((resolve, reject) => {
      const done = (err: Error | null, rows: unknown[]) => (err ? reject(err) : resolve(rows as T[]));
      if (params.length === 0) this.db.all(sql, done);
      else this.prepared(sql).then((statement) => statement.all(params, done), reject);
    });
  }
}

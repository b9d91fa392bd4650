/**
 * The prepared statements a connection keeps, least recently used first, within a bound on their
 * parameters in all.
 *
 * A batch's multi-row statements differ with its size (one INSERT text per row count), and a
 * statement's memory grows with its parameters (about 200 bytes each here): kept without a bound,
 * batches of every size from 1 to 500 left 2,446 statements and took the process from 115 to
 * 841 MB of RSS. Within the bound, the statements in use stay prepared and the rest are prepared
 * again when they come back.
 */
import type sqlite3 from 'sqlite3';

/** Parameters of all kept statements together: a full batch's (500 events) take about 20,500; room for two, and every small one. */
export const MAX_KEPT_PARAMETERS = 48_000;

interface Kept {
  statement: Promise<sqlite3.Statement>;
  parameters: number;
}

export class StatementCache {
  /** In the order of last use, the least recent first (a Map iterates in insertion order). */
  private readonly kept = new Map<string, Kept>();
  private parameters = 0;

  /** `prepare`: compiles `sql` on the connection; it rejects when the statement does not compile. */
  constructor(
    private readonly prepare: (sql: string) => Promise<sqlite3.Statement>,
    private readonly maxParameters = MAX_KEPT_PARAMETERS,
  ) {}

  /**
   * The statement for `sql`, which has `parameters` placeholders: kept from before, or prepared
   * now. One that fails to compile is not kept (a later schema may compile it).
   */
  get(sql: string, parameters: number): Promise<sqlite3.Statement> {
    const hit = this.kept.get(sql);
    if (hit) {
      this.kept.delete(sql);
      this.kept.set(sql, hit);
      return hit.statement;
    }
    const entry: Kept = { statement: this.prepare(sql), parameters };
    this.kept.set(sql, entry);
    this.parameters += parameters;
    entry.statement.catch(() => this.forget(sql, entry));
    this.evict();
    return entry.statement;
  }

  /** How many statements are kept, and their parameters in all. */
  get size(): { statements: number; parameters: number } {
    return { statements: this.kept.size, parameters: this.parameters };
  }

  /** Finalizes every kept statement: before the connection closes. */
  async clear(): Promise<void> {
    const entries = [...this.kept.values()];
    this.kept.clear();
    this.parameters = 0;
    for (const entry of entries) {
      const statement = await entry.statement.catch(() => undefined);
      if (statement) await new Promise((resolve) => statement.finalize(() => resolve(undefined)));
    }
  }

  /**
   * Lets the least recently used go until the bound holds. The newest always stays: it is about
   * to run. A statement let go may still have a run queued or running: its caller attached that
   * run to the same promise earlier, so it reaches sqlite3 first, and sqlite3 finalizes a
   * statement only after the calls queued on it.
   */
  private evict(): void {
    for (const [sql, entry] of this.kept) {
      if (this.parameters <= this.maxParameters || this.kept.size <= 1) return;
      this.forget(sql, entry);
      entry.statement.then(
        (statement) => statement.finalize(),
        () => undefined,
      );
    }
  }

  private forget(sql: string, entry: Kept): void {
    if (this.kept.get(sql) !== entry) return;
    this.kept.delete(sql);
    this.parameters -= entry.parameters;
  }
}

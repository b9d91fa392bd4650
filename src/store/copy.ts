/**
 * Moving up from one machine: every row of one store into another, empty one (`store copy`),
 * numbered ids kept, in one transaction on the target (a failed copy leaves it empty).
 */
import type { Store } from './store.js';
import { TABLES, type TableCounts } from './tables.js';

export interface CopyResult {
  /** Rows read from the source, per table (one snapshot of it). */
  copied: TableCounts;
  /** Rows in the source and in the target once done. */
  source: TableCounts;
  target: TableCounts;
}

/**
 * Copies `from` into `to`. Refuses (an Error naming the tables and their rows) a target that
 * already holds data: a copy never merges into, or overwrites, a store in use.
 */
export async function copyStore(from: Store, to: Store): Promise<CopyResult> {
  const before = await to.counts();
  const filled = TABLES.filter((t) => before[t.name] > 0);
  if (filled.length > 0) {
    throw new Error(
      `the target database already holds data (${filled.map((t) => `${t.name}: ${before[t.name]} rows`).join(', ')}): ` +
        'store copy only fills an empty database',
    );
  }
  const copied = Object.fromEntries(TABLES.map((t) => [t.name, 0])) as TableCounts;
  await to.importRows((write) =>
    from.exportRows(async (table, rows) => {
      await write(table, rows);
      copied[table.name] += rows.length;
    }),
  );
  return { copied, source: await from.counts(), target: await to.counts() };
}

/** The neutral rows of ../tables.ts, read from and written to SQLite, for `store copy`. */
import type { Database, Sql, SqlValue } from './database.js';
import { insertRows } from './bulk.js';
import { TABLES, type Row, type RowWriter, type TableCounts, type TableShape } from '../tables.js';

const WINDOW = 1_000;

export async function countRows(sql: Sql): Promise<TableCounts> {
  const counts = {} as TableCounts;
  for (const table of TABLES) counts[table.name] = (await sql.get<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table.name}`))!.n;
  return counts;
}

/** Every table in key order, from one read transaction (a WAL snapshot: writers go on meanwhile). */
export async function exportRows(db: Database, write: RowWriter): Promise<void> {
  await db.snapshot(async (sql) => {
    for (const table of TABLES) {
      let after: SqlValue[] | undefined;
      for (;;) {
        const rows = await sql.all<Row>(
          `SELECT ${Object.keys(table.columns).join(', ')} FROM ${table.name}
           ${after ? `WHERE (${table.key.join(', ')}) > (${table.key.map(() => '?').join(', ')})` : ''}
           ORDER BY ${table.key.join(', ')} LIMIT ${WINDOW}`,
          after ?? [],
        );
        if (rows.length) await write(table, rows);
        if (rows.length < WINDOW) break;
        const last = rows[rows.length - 1]!;
        after = table.key.map((k) => last[k] as SqlValue);
      }
    }
  });
}

/** Rows as they come, numbered columns kept (AUTOINCREMENT moves its counter past them by itself). */
export function importInto(sql: Sql): RowWriter {
  return async (table: TableShape, rows: Row[]) => {
    const columns = Object.keys(table.columns);
    await insertRows(sql, `INSERT INTO ${table.name} (${columns.join(', ')})`, columns.length, rows.map((r) => columns.map((c) => r[c] ?? null)));
  };
}

/**
 * Multi-row INSERTs. One statement per kind of row and batch: with sqlite3 every statement is a
 * round trip to its thread (~37 µs here), a row inside a multi-row statement ~2 µs.
 */
import type { Sql, SqlValue } from './database.js';

/** SQLite allows 32,766 variables in a statement; stay well below it. */
const MAX_VARIABLES = 8_000;

export async function insertRows(sql: Sql, head: string, columns: number, rows: SqlValue[][], tail = ''): Promise<void> {
  const perStatement = Math.max(1, Math.floor(MAX_VARIABLES / columns));
  const placeholder = `(${new Array(columns).fill('?').join(', ')})`;
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement);
    await sql.run(`${head} VALUES ${chunk.map(() => placeholder).join(', ')} ${tail}`, chunk.flat());
  }
}

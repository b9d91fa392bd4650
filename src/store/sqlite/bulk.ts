/**
 * Multi-row INSERTs. One statement per kind of row and batch: with sqlite3 every statement is a
 * round trip to its thread (~37 µs here), a row inside a multi-row statement ~2 µs.
 */
import type { Sql, SqlValue } from './database.js';

/** SQLite allows 32,766 variables in a statement; stay well below it. */
const MAX_VARIABLES = 8_000;

export async function insertRows(sql: Sql, head: string, columns: number, rows: SqlValue[][], tail = ''): Promise<void> {
  for (const [statement, params] of statements(head, columns, rows, tail)) await sql.run(statement, params);
}

/** insertRows with a RETURNING clause in `tail`: the rows it returns, all statements together. */
export async function insertRowsReturning<T>(sql: Sql, head: string, columns: number, rows: SqlValue[][], tail: string): Promise<T[]> {
  const returned: T[] = [];
  for (const [statement, params] of statements(head, columns, rows, tail)) returned.push(...(await sql.all<T>(statement, params)));
  return returned;
}

function statements(head: string, columns: number, rows: SqlValue[][], tail: string): [string, SqlValue[]][] {
  const perStatement = Math.max(1, Math.floor(MAX_VARIABLES / columns));
  const placeholder = `(${new Array(columns).fill('?').join(', ')})`;
  const result: [string, SqlValue[]][] = [];
  for (let i = 0; i < rows.length; i += perStatement) {
    const chunk = rows.slice(i, i + perStatement);
    result.push([`${head} VALUES ${chunk.map(() => placeholder).join(', ')} ${tail}`, chunk.flat()]);
  }
  return result;
}

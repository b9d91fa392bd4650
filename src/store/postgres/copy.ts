/** The neutral rows of ../tables.ts, read from and written to PostgreSQL, for `store copy`. */
import type pg from 'pg';
import type { PgSql } from './connection.js';
import { TABLES, type ColumnType, type Row, type RowWriter, type TableCounts, type TableShape } from '../tables.js';

const WINDOW = 1_000;
const ARRAY_TYPE: Record<ColumnType, string> = { text: 'text[]', integer: 'bigint[]', blob: 'bytea[]' };

export async function countRows(sql: PgSql): Promise<TableCounts> {
  const counts = {} as TableCounts;
  for (const table of TABLES) counts[table.name] = (await sql.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table.name}`)).rows[0]!.n;
  return counts;
}

/** Every table in key order, from one snapshot (REPEATABLE READ): writers go on meanwhile. */
export async function exportRows(client: pg.PoolClient, write: RowWriter): Promise<void> {
  await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    for (const table of TABLES) {
      let after: unknown[] | undefined;
      for (;;) {
        const keys = table.key.join(', ');
        const { rows } = await client.query<Row>(
          `SELECT ${Object.keys(table.columns).join(', ')} FROM ${table.name}
           ${after ? `WHERE (${keys}) > (${table.key.map((_, i) => `$${i + 1}`).join(', ')})` : ''}
           ORDER BY ${keys} LIMIT ${WINDOW}`,
          after ?? [],
        );
        if (rows.length) await write(table, rows);
        if (rows.length < WINDOW) break;
        const last = rows[rows.length - 1]!;
        after = table.key.map((k) => last[k]);
      }
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** One statement per window (a parameter per column, an array of its values). */
export function importInto(sql: PgSql): RowWriter {
  return async (table: TableShape, rows: Row[]) => {
    const columns = Object.entries(table.columns);
    await sql.query(
      `INSERT INTO ${table.name} (${columns.map(([name]) => name).join(', ')})
       SELECT * FROM unnest(${columns.map(([, type], i) => `$${i + 1}::${ARRAY_TYPE[type]}`).join(', ')})`,
      columns.map(([name]) => rows.map((r) => r[name] ?? null)),
    );
  };
}

/** Numbered columns were copied with their numbers: the next new row must come after them. */
export async function moveCountersPastCopiedRows(sql: PgSql): Promise<void> {
  for (const table of TABLES) {
    if (!table.generated) continue;
    await sql.query(
      `SELECT setval(pg_get_serial_sequence('${table.name}', '${table.generated}'), COALESCE(MAX(${table.generated}), 0) + 1, false) FROM ${table.name}`,
    );
  }
}

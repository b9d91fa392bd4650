/** The SQLite adapter's promise layer over sqlite3, against a real SQLite file. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Database } from '../../src/store/sqlite/database.js';
import { MAX_KEPT_PARAMETERS } from '../../src/store/sqlite/statement-cache.js';

let dir: string;
let db: Database;
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'collab-db-'));
  db = await Database.open(path.join(dir, 'db.sqlite'));
});
afterEach(async () => {
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

it('a statement with parameters that does not compile fails its caller, and the database goes on', async () => {
  await expect(db.run('INSERT INTO missing (x) VALUES (?)', [1])).rejects.toThrow(/no such table: missing/);
  await expect(db.all('SELECT * FROM missing WHERE x = ?', [1])).rejects.toThrow(/no such table/);
  await expect(db.transaction((sql) => sql.get('SELECT * FROM missing WHERE x = ?', [1]))).rejects.toThrow(/no such table/);
  // once the table exists, the same statement compiles: the failed one was not kept
  await db.exec('CREATE TABLE missing (x INTEGER)');
  await db.run('INSERT INTO missing (x) VALUES (?)', [1]);
  expect(await db.all('SELECT x FROM missing WHERE x = ?', [1])).toEqual([{ x: 1 }]);
});

it('runs a prepared statement many times with different parameters', async () => {
  await db.exec('CREATE TABLE t (k TEXT PRIMARY KEY, n INTEGER)');
  await db.transaction(async (sql) => {
    for (let i = 0; i < 50; i++) await sql.run('INSERT INTO t (k, n) VALUES (?, ?)', [`k${i}`, i]);
  });
  expect(await db.get('SELECT count(*) AS c, sum(n) AS s FROM t WHERE n >= ?', [0])).toEqual({ c: 50, s: 1225 });
});

it('a transaction that found the write lock held past its timeout leaves the connection as it was', async () => {
  await db.exec('CREATE TABLE t (k TEXT PRIMARY KEY)');
  const file = path.join(dir, 'db.sqlite');
  const waiting = await Database.open(file, { lockTimeoutMs: 50 });
  const holder = await Database.open(file);
  try {
    await holder.exec('BEGIN IMMEDIATE');
    await expect(waiting.transaction((sql) => sql.run('INSERT INTO t (k) VALUES (?)', ['never']))).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
    await holder.exec(`INSERT INTO t (k) VALUES ('theirs'); COMMIT`);
    // A BEGIN IMMEDIATE stopped by SQLITE_BUSY and left unreset would still count as a writing
    // statement: reads would keep an old snapshot and a read transaction's COMMIT would fail.
    expect(await waiting.all('SELECT k FROM t WHERE k <> ?', [''])).toEqual([{ k: 'theirs' }]);
    expect(await waiting.snapshot((sql) => sql.all('SELECT k FROM t WHERE k <> ?', ['']))).toEqual([{ k: 'theirs' }]);
    await waiting.transaction((sql) => sql.run('INSERT INTO t (k) VALUES (?)', ['mine']));
    expect(await holder.all('SELECT k FROM t WHERE k <> ? ORDER BY k', [''])).toEqual([{ k: 'mine' }, { k: 'theirs' }]);
  } finally {
    await waiting.close();
    await holder.close();
  }
});

it('keeps its prepared statements within a bound on their parameters, and prepares again one it let go', async () => {
  await db.exec('CREATE TABLE t (k INTEGER PRIMARY KEY)');
  // One INSERT text per row count, as a batch's multi-row statements are: 1 + 2 + … + 400 rows,
  // 80,200 parameters in all. Kept without a bound, batches of every size took hundreds of MB.
  let next = 0;
  const insert = (rows: number) => {
    const keys = Array.from({ length: rows }, () => next++);
    return db.run(`INSERT INTO t (k) VALUES ${keys.map(() => '(?)').join(', ')}`, keys);
  };
  for (let rows = 1; rows <= 400; rows++) await insert(rows);
  expect(db.keptStatements.parameters).toBeLessThanOrEqual(MAX_KEPT_PARAMETERS);
  expect(db.keptStatements.parameters).toBeGreaterThan(MAX_KEPT_PARAMETERS / 2);
  // The one-row INSERT was let go long ago: it is prepared again, and runs.
  await insert(1);
  expect(await db.get('SELECT count(*) AS n FROM t WHERE k >= ?', [0])).toEqual({ n: next });
});

/**
 * The WAL file after a long write, measured on disk: without a checkpoint that truncates it,
 * it keeps the size the write made it for as long as any connection stays open.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sqlite3 from 'sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Database } from '../../src/store/database.js';
import { startWalCheckpoints } from '../../src/maintenance/wal-checkpoint.js';
import { createLogger } from '../../src/logger.js';
import { waitFor } from '../support/wait.js';

const MiB = 1024 * 1024;
let dir: string;
let file: string;
let db: Database;
let other: sqlite3.Database;

const exec = (conn: sqlite3.Database, sql: string) => new Promise<void>((resolve, reject) => conn.exec(sql, (err) => (err ? reject(err) : resolve())));
const walSize = () => fs.statSync(`${file}-wal`).size;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'collab-wal-'));
  file = path.join(dir, 'worker.db');
  db = await Database.open(file);
  await db.exec('CREATE TABLE filler (b BLOB)');
  // another process's connection: the worker's is not the last, so closing it deletes no WAL
  other = await new Promise((resolve, reject) => {
    const handle = new sqlite3.Database(file, (err) => (err ? reject(err) : resolve(handle)));
  });
});
afterEach(async () => {
  await db.close().catch(() => undefined);
  await new Promise((resolve) => other.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** 24 MiB in one transaction, holding the write lock throughout. */
async function longWrite(conn: sqlite3.Database) {
  await exec(conn, `BEGIN IMMEDIATE; ${'INSERT INTO filler VALUES (randomblob(1048576));'.repeat(24)} COMMIT;`);
}

describe('the WAL file', () => {
  it('grown by another process`s long write, is truncated by the periodic checkpoint once the lock is released', async () => {
    await longWrite(other);
    expect(walSize()).toBeGreaterThan(24 * MiB);
    const checkpoints = startWalCheckpoints(db, createLogger('silent'), 20);
    try {
      await waitFor(() => walSize() === 0, 'the WAL to be truncated');
      expect(await db.get<{ n: number }>('SELECT count(*) AS n FROM filler')).toEqual({ n: 24 });
    } finally {
      checkpoints.stop();
    }
  });

  it('grown by the worker`s own long write, is truncated when the worker closes the database', async () => {
    await db.transaction(async (sql) => {
      for (let i = 0; i < 24; i++) await sql.run('INSERT INTO filler VALUES (randomblob(?))', [MiB]);
    });
    expect(walSize()).toBeGreaterThan(24 * MiB);
    await exec(other, 'SELECT count(*) FROM filler'); // the other process has the WAL open too
    await db.close();
    expect(walSize()).toBe(0);
  });
});

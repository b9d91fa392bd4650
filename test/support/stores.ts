/**
 * The store a test runs against: a SQLite file in a directory of its own, or a PostgreSQL
 * database of its own. Tests that claim a flow works run against both (STORE_KINDS); raw SQL for
 * looking at the tables is written once, with `?` placeholders.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll } from 'vitest';
import { Database } from '../../src/store/sqlite/database.js';
import { openStore, type StoreSettings } from '../../src/store/open-store.js';
import type { Store } from '../../src/store/store.js';
import { createDatabase, createSchema, numberedPlaceholders, type TestDatabase } from './postgres.js';

export type StoreKind = 'sqlite' | 'postgres';
export const STORE_KINDS: StoreKind[] = ['sqlite', 'postgres'];

/** The secret workers on PostgreSQL must be given (ACTIVATION_SECRET is required there). */
export const TEST_ACTIVATION_SECRET = 'test-activation-secret-shared-by-every-instance';

export interface StoreWorld {
  kind: StoreKind;
  settings: StoreSettings & { activationSecret?: string };
  /** The environment a worker or CLI process needs for this store. */
  env: Record<string, string>;
  /** PostgreSQL: the test file's database (the store is a schema in it). */
  database?: TestDatabase;
  /** Opens one more handle on the same data, as another worker instance would. */
  open(): Promise<Store>;
  /** Inspection: rows of a query with `?` placeholders. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs a statement without parameters (DDL in tests). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/** The test file's PostgreSQL database, made on first use and dropped when the file is done. */
let fileDatabase: Promise<TestDatabase> | undefined;
afterAll(async () => {
  await (await fileDatabase)?.drop();
});

export async function createStoreWorld(kind: StoreKind, label: string): Promise<StoreWorld> {
  return kind === 'sqlite' ? sqliteWorld(label) : postgresWorld(label);
}

function sqliteWorld(label: string): StoreWorld {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `collab-${label}-`));
  const databasePath = path.join(dir, 'worker.db');
  const withDb = async <T>(fn: (db: Database) => Promise<T>) => {
    const db = await Database.open(databasePath);
    try {
      return await fn(db);
    } finally {
      await db.close();
    }
  };
  return {
    kind: 'sqlite',
    settings: { databasePath },
    env: { DATABASE_PATH: databasePath },
    open: () => openStore({ databasePath }),
    query: (sql, params = []) => withDb((db) => db.all(sql, params as never[])),
    exec: (sql) => withDb((db) => db.exec(sql)),
    async close() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresWorld(label: string): Promise<StoreWorld> {
  fileDatabase ??= createDatabase(label);
  const database = await fileDatabase;
  const schema = await createSchema(database, label);
  const pool = new pg.Pool({ connectionString: schema.url, max: 2 });
  pool.on('error', () => undefined); // a test may cut every connection
  // BIGINT as numbers, as the store reads them.
  const number = (value: string) => Number(value);
  const types = { getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === 20 ? number : pg.types.getTypeParser(oid, format)) };
  const settings = { databasePath: '/nonexistent/unused-with-database-url.db', databaseUrl: schema.url, activationSecret: TEST_ACTIVATION_SECRET };
  return {
    kind: 'postgres',
    settings,
    env: { DATABASE_URL: schema.url, ACTIVATION_SECRET: TEST_ACTIVATION_SECRET },
    database,
    open: () => openStore(settings),
    async query<T>(sql: string, params: unknown[] = []) {
      return (await pool.query({ text: numberedPlaceholders(sql), values: params, types: types as never })).rows as T[];
    },
    async exec(sql) {
      await pool.query(sql);
    },
    async close() {
      await pool.end();
      await schema.drop();
    },
  };
}

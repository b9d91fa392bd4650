/**
 * A PostgreSQL database of its own for each test file, and in it a schema of its own for each
 * test: creating a database costs most of a second here, a schema a few milliseconds. Advisory
 * locks and LISTEN channels are per database, so test files running side by side never meet
 * (the tests of one file run one after the other). TEST_DATABASE_URL names the server (default:
 * the local one, user postgres, trust auth).
 */
import crypto from 'node:crypto';
import pg from 'pg';

const ADMIN_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const uniqueName = (prefix: string, label: string) => `${prefix}_${label.replace(/[^a-z0-9]+/gi, '_').toLowerCase()}_${crypto.randomBytes(4).toString('hex')}`;

export async function createDatabase(label: string): Promise<TestDatabase> {
  const name = uniqueName('test', label);
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => admin(async (client) => void (await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))),
  };
}

export interface TestSchema {
  /** The database's URL with the schema as the search path: what the worker and the CLI are given. */
  url: string;
  drop(): Promise<void>;
}

/** A new, empty schema in `database`; its URL makes every connection work in it. */
export async function createSchema(database: TestDatabase, label: string): Promise<TestSchema> {
  const name = uniqueName('s', label);
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(database.url);
  url.searchParams.set('options', `-c search_path=${name}`);
  return {
    url: url.toString(),
    async drop() {
      const dropper = new pg.Client({ connectionString: database.url });
      await dropper.connect();
      try {
        await dropper.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
      } finally {
        await dropper.end();
      }
    },
  };
}

/** Closes every connection to the database from the server's side, as a failover or an admin would. */
export async function terminateConnections(database: string): Promise<number> {
  return admin(async (client) => {
    // In the select list, not the WHERE: the planner may order conditions as it likes, and only
    // the rows that passed the filter may be terminated.
    const { rows } = await client.query<{ terminated: boolean }>(
      'SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
    return rows.filter((r) => r.terminated).length;
  });
}

/** Lets new connections in, or refuses them ("not currently accepting connections"), as a database being restored would. */
export async function allowConnections(database: string, allow: boolean): Promise<void> {
  await admin((client) => client.query(`ALTER DATABASE ${database} WITH ALLOW_CONNECTIONS ${allow}`));
}

/** `?` placeholders (as in SQLite) to `$1, $2, …`: the tests' inspection queries are written once for both stores. */
export function numberedPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

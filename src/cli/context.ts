/** What CLI commands share: the configuration, and short-lived database and broker handles. */
import fs from 'node:fs';
import amqp from 'amqplib';
import { loadConfig, type Config } from '../config.js';
import { Database } from '../store/database.js';
import { migrate, schemaVersion, SCHEMA_VERSION } from '../store/migrations.js';
import { prepareDatabasePath } from '../support/storage-paths.js';
import { Publisher } from '../broker/publisher.js';

/** How long a command that changes something waits for another process's write lock. */
const LOCK_WAIT_MS = 60_000;

export function cliConfig(): Config {
  return loadConfig();
}

/**
 * For commands that change something. Behind another process's write lock (a worker's
 * transaction, another command, a backup) it says on stderr that it waits, and waits up to
 * LOCK_WAIT_MS; then it fails saying that nothing was changed.
 */
export async function withDatabase<T>(config: Config, fn: (db: Database) => Promise<T>): Promise<T> {
  prepareDatabasePath(config.databasePath);
  let said = false;
  const db = await Database.open(config.databasePath, {
    lockTimeoutMs: LOCK_WAIT_MS,
    onLockWait: () => {
      if (said) return;
      said = true;
      process.stderr.write(`waiting for the write lock of ${config.databasePath}: another process holds it (a worker's transaction, another command); up to ${LOCK_WAIT_MS / 1000} s\n`);
    },
  });
  try {
    await migrate(db);
    return await fn(db);
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_BUSY') {
      throw new Error(`the write lock of ${config.databasePath} (DATABASE_PATH) stayed held by another process for ${LOCK_WAIT_MS / 1000} s: nothing was changed, try again`);
    }
    throw err;
  } finally {
    await db.close();
  }
}

/**
 * For commands that only read: the database opened read-only, so they answer whatever another
 * process holds. A database that does not exist yet, or has an older layout, is created or
 * migrated first (saying so), through withDatabase.
 */
export async function withReadOnlyDatabase<T>(config: Config, fn: (db: Database) => Promise<T>): Promise<T> {
  if (!fs.existsSync(config.databasePath)) return withDatabase(config, fn);
  const db = await Database.open(config.databasePath, { readOnly: true });
  let current: boolean;
  try {
    current = (await schemaVersion(db)) >= SCHEMA_VERSION;
    if (current) return await fn(db);
  } finally {
    await db.close();
  }
  process.stderr.write(`the database ${config.databasePath} has an older layout: migrating it first (this takes the write lock)\n`);
  return withDatabase(config, fn);
}

export async function withPublisher<T>(config: Config, fn: (publisher: Publisher) => Promise<T>): Promise<T> {
  const connection = await amqp.connect(config.amqpUrl);
  try {
    const channel = await connection.createConfirmChannel();
    return await fn(new Publisher(channel));
  } finally {
    await connection.close();
  }
}

export function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

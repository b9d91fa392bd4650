/** What CLI commands share: the configuration, and short-lived store and broker handles. */
import amqp from 'amqplib';
import { loadConfig, type Config } from '../config.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { Publisher } from '../broker/publisher.js';

/** How long a command that changes something waits for another process's write lock. */
const LOCK_WAIT_MS = 60_000;

export function cliConfig(): Config {
  return loadConfig();
}

/**
 * The store the worker uses (DATABASE_URL, else DATABASE_PATH), for commands that change
 * something, open for the length of `fn`. Behind another process's write lock on SQLite (a
 * worker's transaction, another command, a backup) it says on stderr that it waits, and waits up
 * to LOCK_WAIT_MS; then it fails saying that nothing was changed.
 */
export async function withStore<T>(config: Config, fn: (store: Store) => Promise<T>): Promise<T> {
  let said = false;
  const store = await openStore(config, undefined, {
    lockTimeoutMs: LOCK_WAIT_MS,
    onLockWait: () => {
      if (said) return;
      said = true;
      process.stderr.write(`waiting for the write lock of ${config.databasePath}: another process holds it (a worker's transaction, another command); up to ${LOCK_WAIT_MS / 1000} s\n`);
    },
  });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/**
 * For commands that only read: they answer whatever another process holds (SQLite: the file
 * opened read-only). A SQLite file that does not exist yet, or has an older layout, is created or
 * migrated first, saying so.
 */
export async function withReadOnlyStore<T>(config: Config, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(config, undefined, { readOnly: true, onMigrate: (message) => process.stderr.write(`${message}\n`) });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
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

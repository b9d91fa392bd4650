/** What CLI commands share: the configuration, and short-lived store and broker handles. */
import amqp from 'amqplib';
import { loadConfig, type Config } from '../config.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { Publisher } from '../broker/publisher.js';

export function cliConfig(): Config {
  return loadConfig();
}

/** The store the worker uses (DATABASE_URL, else DATABASE_PATH), open for the length of `fn`. */
export async function withStore<T>(config: Config, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore(config);
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

/** What CLI commands share: the configuration, and short-lived database and broker handles. */
import amqp from 'amqplib';
import { loadConfig, type Config } from '../config.js';
import { Database } from '../store/database.js';
import { migrate } from '../store/migrations.js';
import { Publisher } from '../broker/publisher.js';

export function cliConfig(): Config {
  return loadConfig();
}

export async function withDatabase<T>(config: Config, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await Database.open(config.databasePath);
  try {
    await migrate(db);
    return await fn(db);
  } finally {
    await db.close();
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

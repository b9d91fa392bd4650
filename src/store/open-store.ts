/** Picks the store adapter from the settings: PostgreSQL when DATABASE_URL is set, else the SQLite file. */
import type { Store } from './store.js';
import { SqliteStore } from './sqlite/store.js';
import { PostgresStore } from './postgres/store.js';
import type { Logger } from '../logger.js';

export interface StoreSettings {
  /** DATABASE_PATH: the SQLite file, used when `databaseUrl` is unset. */
  databasePath: string;
  /** DATABASE_URL: a PostgreSQL URL. */
  databaseUrl?: string;
  /** DATABASE_POOL_SIZE: connections to PostgreSQL of this process at most. */
  databasePoolSize?: number;
  /** What errors call the URL when it is not DATABASE_URL (e.g. a CLI option). */
  urlSetting?: string;
}

/**
 * Opens the store and brings its schema up to date. Errors name the setting at fault
 * (DATABASE_URL: bad URL, connection refused, wrong credentials).
 */
export function openStore(settings: StoreSettings, log?: Logger): Promise<Store> {
  if (settings.databaseUrl) {
    return PostgresStore.open({ url: settings.databaseUrl, size: settings.databasePoolSize ?? 10, log, setting: settings.urlSetting });
  }
  return SqliteStore.open(settings.databasePath);
}

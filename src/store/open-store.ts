/** Picks the store adapter from the settings: PostgreSQL when DATABASE_URL is set, else the SQLite file. */
import type { Store } from './store.js';
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

export interface OpenOptions {
  /**
   * Only reading (the CLI's lists): SQLite opens the file read-only, so another process's long
   * write never blocks it; a file that does not exist yet, or has an older layout, is created or
   * migrated first (after `onMigrate` says so).
   */
  readOnly?: boolean;
  /** How long a transaction waits for another process's write lock, in ms (SQLite; default 10 s). */
  lockTimeoutMs?: number;
  /** Called when a transaction finds the write lock held and starts waiting for it (SQLite). */
  onLockWait?: () => void;
  /** Called before a read-only open migrates an older layout, with what it is about to do. */
  onMigrate?: (message: string) => void;
}

/**
 * Opens the store and brings its schema up to date. Errors name the setting at fault: a
 * SettingError for DATABASE_PATH (cannot be opened) or DATABASE_URL (bad URL, connection refused,
 * wrong credentials).
 */
export async function openStore(settings: StoreSettings, log?: Logger, options: OpenOptions = {}): Promise<Store> {
  // Each adapter is loaded only when used: the PostgreSQL driver alone is several MB of a
  // SQLite worker's resident memory (bench: peak RSS).
  if (settings.databaseUrl) {
    const { PostgresStore } = await import('./postgres/store.js');
    return PostgresStore.open({ url: settings.databaseUrl, size: settings.databasePoolSize ?? 10, log, setting: settings.urlSetting });
  }
  const { SqliteStore } = await import('./sqlite/store.js');
  return SqliteStore.open(settings.databasePath, options);
}

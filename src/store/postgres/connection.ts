/**
 * Connections to PostgreSQL (node-postgres `pg` 8): the pool's settings, and how errors are
 * told apart: "the database cannot be reached" (wait for it, then go on) from "this statement
 * failed" (the caller's business).
 */
import pg from 'pg';
import { maskUrl } from '../../support/masked-url.js';

/** What the SQL modules need: a pool or one client of it. */
export interface PgSql {
  query<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

export interface PoolSettings {
  /** DATABASE_URL. SSL: its `sslmode` parameter, else PGSSLMODE (node-postgres reads both). */
  url: string;
  /** DATABASE_POOL_SIZE: connections of this process at most. */
  size: number;
}

/** How long opening a connection may take before it counts as unreachable. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * BIGINT columns hold times in milliseconds and row numbers, all far below 2^53: read them as
 * numbers (node-postgres reads them as strings by default). For this pool only.
 */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export function connectionConfig({ url }: Pick<PoolSettings, 'url'>): pg.ClientConfig {
  return {
    connectionString: url,
    types,
    application_name: 'collab-worker',
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // Notice a connection a firewall or a dead server dropped without a word.
    keepAlive: true,
  };
}

export function createPool(settings: PoolSettings): pg.Pool {
  return new pg.Pool({ ...connectionConfig(settings), max: settings.size });
}

/** The URL with its password masked, for logs and error messages. */
export const redactUrl = maskUrl;

/** The database could not be reached: the connection failed, was cut, or could not be opened. */
export class DatabaseUnreachable extends Error {
  constructor(cause: unknown) {
    super(`database unreachable: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    this.name = 'DatabaseUnreachable';
  }
}

/** SQLSTATE classes and codes that mean the connection, not the statement, failed. */
const CONNECTION_STATES = /^(08|57P0[1-3]$|53300$)/;
const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** node-postgres's own errors for a connection that ended or never opened (they carry no code). */
const CONNECTION_MESSAGES = /Connection terminated|not queryable|timeout exceeded when trying to connect|Connection closed/i;

export function isConnectionError(err: unknown): boolean {
  if (err instanceof DatabaseUnreachable) return true;
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && (CONNECTION_STATES.test(code) || SOCKET_ERRORS.has(code))) return true;
  return err instanceof Error && !code && CONNECTION_MESSAGES.test(err.message);
}

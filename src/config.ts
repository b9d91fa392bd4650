/**
 * The one place where environment variables become a typed, resolved configuration.
 * Every option is documented in the README with its default; a bad value fails start-up
 * with a message naming the variable.
 */
import path from 'node:path';
import cron from 'node-cron';
import addressparser from 'nodemailer/lib/addressparser';
import { maskUrl } from './support/masked-url.js';
import type { TracingSettings } from './tracing/tracing.js';

export type WorkerRole = 'consume' | 'dispatch' | 'schedule';

export interface Config {
  amqpUrl: string;
  /** Prefix of the worker's own queues and exchanges (the contract's exchanges are fixed). */
  queuePrefix: string;
  smtpUrl: string | undefined;
  mailDir: string;
  mailFrom: string | undefined;
  /** The SQLite file, the embedded store; used when `databaseUrl` is unset. */
  databasePath: string;
  /** PostgreSQL URL: the store shared by several instances on several machines. */
  databaseUrl: string | undefined;
  /** Connections to PostgreSQL of one process at most. */
  databasePoolSize: number;
  httpPort: number;
  logLevel: string;
  /** Delays between retries of a message or an outbox delivery, in milliseconds. */
  retryDelaysMs: number[];
  /** Messages handled in one SQLite transaction at most; also the consumer prefetch. */
  batchSize: number;
  /** Largest message body the worker takes, in bytes; a larger one is kept as failed, whole. */
  maxMessageBytes: number;
  /** Bytes of unsettled message bodies the worker aims to hold at most (it sizes its prefetch by them). */
  maxBytesInFlight: number;
  /** Quorum queue delivery limit: a message that crashes the worker this often is dead-lettered. */
  deliveryLimit: number;
  invitationExpiryDays: number;
  reminderDays: number[];
  reminderSchedule: string;
  /** Days done outbox rows and inbox marks are kept; 0 keeps them forever (no pruning). */
  retentionDays: number;
  retentionSchedule: string;
  activationTokenTtlMs: number;
  /**
   * Secret for deriving activation tokens; when unset, one is kept in `<databasePath>.secret`.
   * Required with `databaseUrl` (see activationSecretOf).
   */
  activationSecret: string | undefined;
  shutdownTimeoutMs: number;
  roles: WorkerRole[];
  /** Span export with OpenTelemetry; undefined (the default) when OTEL_EXPORTER_OTLP_ENDPOINT is unset. */
  tracing: TracingSettings | undefined;
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const invitationExpiryDays = number(env, 'INVITATION_EXPIRY_DAYS', 14);
  return {
    amqpUrl: serviceUrl(env, 'AMQP_URL', ['amqp', 'amqps'], 'amqp://guest:guest@127.0.0.1:5672'),
    queuePrefix: queuePrefix(env),
    smtpUrl: env.SMTP_URL ? serviceUrl(env, 'SMTP_URL', ['smtp', 'smtps']) : undefined,
    mailDir: path.resolve(env.MAIL_DIR || './var/mail'),
    mailFrom: env.MAIL_FROM ? mailbox(env.MAIL_FROM, 'MAIL_FROM') : undefined,
    databasePath: path.resolve(env.DATABASE_PATH || './var/collab-worker.db'),
    databaseUrl: postgresUrl(env, 'DATABASE_URL'),
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 10, 1),
    httpPort: integer(env, 'HTTP_PORT', 8080, 0, 'a port number from 0 to 65535 (0: any free port)', 65_535),
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', LOG_LEVELS),
    retryDelaysMs: durations(env, 'RETRY_DELAYS', '5s,30s,2m,10m,1h'),
    batchSize: integer(env, 'BATCH_SIZE', 500, 1),
    deliveryLimit: integer(env, 'DELIVERY_LIMIT', 5, 1),
    maxMessageBytes: size(env, 'MAX_MESSAGE_SIZE', '4MiB'),
    maxBytesInFlight: size(env, 'MAX_BYTES_IN_FLIGHT', '4MiB'),
    invitationExpiryDays,
    reminderDays: reminderDays(env, invitationExpiryDays),
    reminderSchedule: schedule(env, 'REMINDER_SCHEDULE', '*/15 * * * *'),
    retentionDays: integer(env, 'RETENTION_DAYS', 30, 0, 'a whole number of days ≥ 0 (0 turns pruning off)'),
    retentionSchedule: schedule(env, 'RETENTION_SCHEDULE', '30 3 * * *'),
    activationTokenTtlMs: parseDuration(env.ACTIVATION_TOKEN_TTL || '14d', 'ACTIVATION_TOKEN_TTL'),
    activationSecret: env.ACTIVATION_SECRET || undefined,
    shutdownTimeoutMs: parseDuration(env.SHUTDOWN_TIMEOUT || '10s', 'SHUTDOWN_TIMEOUT'),
    roles: roles(env.WORKER_ROLES || 'consume,dispatch,schedule'),
    tracing: tracing(env, integer(env, 'BATCH_SIZE', 500, 1)),
  };
}

/**
 * OpenTelemetry's own variables: OTEL_EXPORTER_OTLP_ENDPOINT is the collector's base URL, spans
 * go to `<it>/v1/traces` (OTLP/HTTP); OTEL_SERVICE_NAME; OTEL_BSP_SCHEDULE_DELAY in milliseconds.
 */
function tracing(env: Env, batchSize: number): TracingSettings | undefined {
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint) return undefined;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ConfigError('OTEL_EXPORTER_OTLP_ENDPOINT', endpoint, 'an http(s) URL of an OTLP/HTTP collector, e.g. http://localhost:4318');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError('OTEL_EXPORTER_OTLP_ENDPOINT', endpoint, 'an http(s) URL of an OTLP/HTTP collector, e.g. http://localhost:4318');
  }
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/traces`;
  return {
    tracesUrl: url.toString(),
    serviceName: env.OTEL_SERVICE_NAME || 'collab-worker',
    exportDelayMs: integer(env, 'OTEL_BSP_SCHEDULE_DELAY', 5000, 0, 'a whole number of milliseconds ≥ 0'),
    maxLinks: batchSize,
  };
}

/** pino's levels: what `LOG_LEVEL` may name. */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

// The unit is required: a bare `5` has been read as 5 ms where 5 s was meant.
const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/;
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_FORM = 'a duration above zero with its unit (ms, s, m, h or d), e.g. 500ms, 5s, 2m, 1h or 14d';

/**
 * `250ms`, `5s`, `2m`, `1h`, `14d` → milliseconds (> 0). A bare number, a zero or a negative
 * duration is a ConfigError naming `name`.
 */
export function parseDuration(text: string, name: string): number {
  const match = DURATION.exec(text);
  const ms = match ? Math.round(Number(match[1]) * UNITS[match[2]!]!) : 0;
  if (!match || ms <= 0) throw new ConfigError(name, text, DURATION_FORM + (/^\s*\d+(\.\d+)?\s*$/.test(text) ? ' (a bare number has no unit)' : ''));
  return ms;
}

function durations(env: Env, name: string, fallback: string): number[] {
  const text = env[name] || fallback;
  return text.split(',').map((part) => {
    try {
      return parseDuration(part, name);
    } catch {
      throw new ConfigError(name, text, `comma-separated durations above zero, with units, such as 5s,30s,2m ("${part.trim()}" is not one)`);
    }
  });
}

/** A URL of one of `schemes` with a host; the error shows it with its password masked. */
function serviceUrl(env: Env, name: string, schemes: string[], fallback?: string): string {
  const text = env[name] || fallback!;
  const expected = `a URL such as ${schemes[0]}://user:password@host:port (scheme ${schemes.join(' or ')})`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(name, maskUrl(text), expected);
  }
  if (!schemes.includes(url.protocol.replace(/:$/, '')) || !url.hostname) throw new ConfigError(name, maskUrl(text), expected);
  // amqplib takes everything after the first slash as the virtual host: a second slash is a
  // typo, or a vhost name that needs escaping (%2F).
  if (schemes.includes('amqp') && url.pathname.indexOf('/', 1) !== -1) {
    throw new ConfigError(name, maskUrl(text), `${expected}, with at most one virtual host after the port (write a "/" inside its name as %2F)`);
  }
  return text;
}

/** One address, bare or with a display name: `no-reply@example.se`, `"Collab" <no-reply@example.se>`. */
function mailbox(text: string, name: string): string {
  const parsed = addressparser(text, { flatten: true });
  const address = parsed.length === 1 ? parsed[0]!.address : '';
  if (!/^[^@\s]+@[^@\s]+$/.test(address ?? '')) throw new ConfigError(name, text, 'one email address, e.g. no-reply@example.se or "Collab" <no-reply@example.se>');
  return text;
}

/**
 * Queue and exchange names are `<prefix>.events` and the like: AMQP allows letters, digits and
 * `-_.:` (255 bytes at most) and reserves names starting with `amq.`.
 */
function queuePrefix(env: Env): string {
  const text = env.QUEUE_PREFIX || 'collab-worker';
  if (!/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$/.test(text) || text.startsWith('amq.')) {
    throw new ConfigError('QUEUE_PREFIX', text, 'up to 100 letters, digits and - _ . : (not starting with "amq.")');
  }
  return text;
}

function oneOf(env: Env, name: string, fallback: string, allowed: string[]): string {
  const text = env[name] || fallback;
  if (!allowed.includes(text)) throw new ConfigError(name, text, `one of ${allowed.join(', ')}`);
  return text;
}

/** A reminder on or after expiry would never be sent: the invitation expires first. */
function reminderDays(env: Env, expiryDays: number): number[] {
  const days = numbers(env, 'REMINDER_DAYS', '3,7');
  const late = days.filter((d) => d >= expiryDays);
  if (late.length > 0) {
    throw new ConfigError('REMINDER_DAYS', env.REMINDER_DAYS || '3,7', `days before INVITATION_EXPIRY_DAYS=${expiryDays}: a reminder on day ${late.join(', ')} would never be sent`);
  }
  return days;
}

const SIZE = /^\s*(\d+(?:\.\d+)?)\s*(B|kB|KB|KiB|MB|MiB|GB|GiB)\s*$/;
const SIZE_UNITS: Record<string, number> = { B: 1, kB: 1e3, KB: 1e3, KiB: 1024, MB: 1e6, MiB: 1024 ** 2, GB: 1e9, GiB: 1024 ** 3 };

/** `512KiB`, `4MiB`, `1GB`, `2048B`: a size in bytes, always with its unit. */
export function parseSize(text: string, name: string): number {
  const match = SIZE.exec(text);
  const bytes = match ? Math.floor(Number(match[1]) * SIZE_UNITS[match[2]!]!) : 0;
  if (bytes < 1) throw new ConfigError(name, text, 'a size with its unit, such as 512KiB, 4MiB or 1GB');
  return bytes;
}

function size(env: Env, name: string, fallback: string): number {
  return parseSize(env[name] || fallback, name);
}

function numbers(env: Env, name: string, fallback: string): number[] {
  const text = env[name] || fallback;
  const values = text.split(',').map((part) => Number(part.trim()));
  if (values.some((v) => !Number.isFinite(v) || v <= 0)) {
    throw new ConfigError(name, text, 'a comma-separated list of positive numbers, e.g. 3,7');
  }
  return values.sort((a, b) => a - b);
}

function number(env: Env, name: string, fallback: number): number {
  const text = env[name];
  if (!text) return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError(name, text, 'a positive number');
  return value;
}

/** A cron expression, checked here so that a typo stops every process, not only the one that schedules. */
function schedule(env: Env, name: string, fallback: string): string {
  const text = env[name] || fallback;
  if (!cron.validate(text)) throw new ConfigError(name, text, 'a cron expression, e.g. "*/15 * * * *" (minute hour day month weekday)');
  return text;
}

function integer(env: Env, name: string, fallback: number, min: number, expected = `a whole number ≥ ${min}`, max = Number.MAX_SAFE_INTEGER): number {
  const text = env[name];
  if (!text) return fallback;
  const value = Number(text);
  if (!/^\s*-?\d+\s*$/.test(text) || value < min || value > max) throw new ConfigError(name, text, expected);
  return value;
}

/** A PostgreSQL URL (postgres:// or postgresql://, with a host). The password never appears in the error. */
function postgresUrl(env: Env, name: string): string | undefined {
  const text = env[name];
  if (!text) return undefined;
  const expected = 'a PostgreSQL URL such as postgres://user:password@host:5432/database';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(name, maskUrl(text), expected);
  }
  if (!['postgres:', 'postgresql:'].includes(url.protocol) || (!url.hostname && !url.searchParams.get('host'))) {
    throw new ConfigError(name, maskUrl(text), expected);
  }
  return text;
}

function roles(text: string): WorkerRole[] {
  const all: WorkerRole[] = ['consume', 'dispatch', 'schedule'];
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  const bad = parts.filter((p) => !all.includes(p as WorkerRole));
  if (bad.length > 0 || parts.length === 0) throw new ConfigError('WORKER_ROLES', text, `a comma-separated subset of ${all.join(', ')}`);
  return parts as WorkerRole[];
}

/**
 * A setting that stops the start: its message names the variable and says what to do, and the
 * process prints it as one line (no stack trace: the fault is in the setting, not the code).
 */
export class SettingError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = 'SettingError';
  }
}

/** A value that is not of the expected form (`value` shown as given; mask secrets before). */
export class ConfigError extends SettingError {
  constructor(name: string, value: string, expected: string) {
    super(name, `${name}=${JSON.stringify(value)} is not valid: expected ${expected}`);
    this.name = 'ConfigError';
  }
}

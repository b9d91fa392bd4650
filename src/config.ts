/**
 * The one place where environment variables become a typed, resolved configuration.
 * Every option is documented in the README with its default; a bad value fails start-up
 * with a message naming the variable.
 */
import path from 'node:path';
import cron from 'node-cron';
import type { TracingSettings } from './tracing/tracing.js';

export type WorkerRole = 'consume' | 'dispatch' | 'schedule';

export interface Config {
  amqpUrl: string;
  /** Prefix of the worker's own queues and exchanges (the contract's exchanges are fixed). */
  queuePrefix: string;
  smtpUrl: string | undefined;
  mailDir: string;
  mailFrom: string | undefined;
  databasePath: string;
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
  /** Secret for deriving activation tokens; when unset, one is kept in `<databasePath>.secret`. */
  activationSecret: string | undefined;
  shutdownTimeoutMs: number;
  roles: WorkerRole[];
  /** Span export with OpenTelemetry; undefined (the default) when OTEL_EXPORTER_OTLP_ENDPOINT is unset. */
  tracing: TracingSettings | undefined;
}

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  return {
    amqpUrl: env.AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672',
    queuePrefix: env.QUEUE_PREFIX || 'collab-worker',
    smtpUrl: env.SMTP_URL || undefined,
    mailDir: path.resolve(env.MAIL_DIR || './var/mail'),
    mailFrom: env.MAIL_FROM || undefined,
    databasePath: path.resolve(env.DATABASE_PATH || './var/collab-worker.db'),
    httpPort: integer(env, 'HTTP_PORT', 8080, 0),
    logLevel: env.LOG_LEVEL || 'info',
    retryDelaysMs: durations(env, 'RETRY_DELAYS', '5s,30s,2m,10m,1h'),
    batchSize: integer(env, 'BATCH_SIZE', 500, 1),
    deliveryLimit: integer(env, 'DELIVERY_LIMIT', 5, 1),
    maxMessageBytes: size(env, 'MAX_MESSAGE_SIZE', '4MiB'),
    maxBytesInFlight: size(env, 'MAX_BYTES_IN_FLIGHT', '8MiB'),
    invitationExpiryDays: number(env, 'INVITATION_EXPIRY_DAYS', 14),
    reminderDays: numbers(env, 'REMINDER_DAYS', '3,7'),
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

const DURATION = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/;
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `250ms`, `5s`, `2m`, `1h`, `14d`; a bare number is milliseconds. */
export function parseDuration(text: string, name: string): number {
  const match = DURATION.exec(text);
  if (!match) throw new ConfigError(name, text, 'a duration such as 500ms, 5s, 2m, 1h or 14d');
  return Math.round(Number(match[1]) * UNITS[match[2] ?? 'ms']!);
}

function durations(env: Env, name: string, fallback: string): number[] {
  const text = env[name] || fallback;
  const bad = text.split(',').find((part) => !DURATION.test(part));
  if (bad !== undefined) throw new ConfigError(name, text, `comma-separated durations such as 5s,30s,2m ("${bad.trim()}" is not one)`);
  return text.split(',').map((part) => parseDuration(part, name));
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

function integer(env: Env, name: string, fallback: number, min: number, expected = `a whole number ≥ ${min}`): number {
  const text = env[name];
  if (!text) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new ConfigError(name, text, expected);
  return value;
}

function roles(text: string): WorkerRole[] {
  const all: WorkerRole[] = ['consume', 'dispatch', 'schedule'];
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  const bad = parts.filter((p) => !all.includes(p as WorkerRole));
  if (bad.length > 0) throw new ConfigError('WORKER_ROLES', text, `a comma-separated subset of ${all.join(', ')}`);
  return parts as WorkerRole[];
}

export class ConfigError extends Error {
  constructor(name: string, value: string, expected: string) {
    super(`${name}=${JSON.stringify(value)} is not valid: expected ${expected}`);
    this.name = 'ConfigError';
  }
}

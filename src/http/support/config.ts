/**
 * Settings of the support console and API, from the environment. Off until configured: the
 * server starts only when SUPPORT_USERS_FILE or SUPPORT_TOKENS_FILE names who may use it.
 * A bad value stops the start with an error naming the variable (and the file's line).
 */
import fs from 'node:fs';
import { ConfigError, parseDuration } from '../../config.js';
import { isPasswordHash } from './password.js';
import { SCOPES, type ApiClient, type Role, type Scope, type SupportUser } from './principals.js';

export interface SupportConfig {
  /** SUPPORT_HOST, default 127.0.0.1: only this machine, unless told otherwise. */
  host: string;
  /** SUPPORT_PORT, default 8081 (0: any free port). */
  port: number;
  users: SupportUser[];
  clients: ApiClient[];
  /** SUPPORT_SESSION_IDLE: a console session unused this long (ms) ends. */
  sessionIdleMs: number;
  /** SUPPORT_LOGIN_ATTEMPTS: login attempts per client address per minute. */
  loginAttemptsPerMinute: number;
  /** SUPPORT_TLS_CERT / SUPPORT_TLS_KEY (PEM files): served over HTTPS, cookies Secure. */
  tls: { cert: Buffer; key: Buffer } | undefined;
}

type Env = Record<string, string | undefined>;

/** Undefined when neither users nor tokens are configured: the console and API stay off. */
export function loadSupportConfig(env: Env = process.env): SupportConfig | undefined {
  const usersFile = env.SUPPORT_USERS_FILE || undefined;
  const tokensFile = env.SUPPORT_TOKENS_FILE || undefined;
  if (!usersFile && !tokensFile) return undefined;
  const port = Number(env.SUPPORT_PORT || '8081');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError('SUPPORT_PORT', env.SUPPORT_PORT!, 'a port number 0–65535');
  const attempts = Number(env.SUPPORT_LOGIN_ATTEMPTS || '10');
  if (!Number.isInteger(attempts) || attempts < 1) throw new ConfigError('SUPPORT_LOGIN_ATTEMPTS', env.SUPPORT_LOGIN_ATTEMPTS!, 'a whole number ≥ 1 (login attempts per address per minute)');
  if (!!env.SUPPORT_TLS_CERT !== !!env.SUPPORT_TLS_KEY) {
    const [set, unset] = env.SUPPORT_TLS_CERT ? ['SUPPORT_TLS_CERT', 'SUPPORT_TLS_KEY'] : ['SUPPORT_TLS_KEY', 'SUPPORT_TLS_CERT'];
    throw new ConfigError(unset, '', `a PEM file, since ${set} is set (both or neither)`);
  }
  return {
    host: env.SUPPORT_HOST || '127.0.0.1',
    port,
    users: usersFile ? parseUsers(readFile('SUPPORT_USERS_FILE', usersFile)) : [],
    clients: tokensFile ? parseClients(readFile('SUPPORT_TOKENS_FILE', tokensFile)) : [],
    sessionIdleMs: parseDuration(env.SUPPORT_SESSION_IDLE || '30m', 'SUPPORT_SESSION_IDLE'),
    loginAttemptsPerMinute: attempts,
    tls: env.SUPPORT_TLS_CERT ? { cert: readBytes('SUPPORT_TLS_CERT', env.SUPPORT_TLS_CERT), key: readBytes('SUPPORT_TLS_KEY', env.SUPPORT_TLS_KEY!) } : undefined,
  };
}

function readBytes(name: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new ConfigError(name, file, `a readable file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}

function readFile(name: string, file: string): { name: string; file: string; lines: [number, string[]][] } {
  const lines = readBytes(name, file)
    .toString('utf8')
    .split('\n')
    .map((line, i) => [i + 1, line.replace(/#.*/, '').trim().split(/\s+/).filter(Boolean)] as [number, string[]])
    .filter(([, fields]) => fields.length > 0);
  return { name, file, lines };
}

/** `<name> <viewer|operator> <scrypt hash>`, one user a line; `#` starts a comment. */
export function parseUsers({ name, file, lines }: ReturnType<typeof readFile>): SupportUser[] {
  const users: SupportUser[] = [];
  for (const [n, fields] of lines) {
    const bad = (expected: string) => new ConfigError(name, `${file} line ${n}`, expected);
    const [user, role, hash] = fields;
    if (fields.length !== 3) throw bad('lines of "<name> <viewer|operator> <password hash>" (make the hash with: npm run cli -- console hash-password)');
    if (role !== 'viewer' && role !== 'operator') throw bad(`a role viewer or operator, not "${role}"`);
    if (!isPasswordHash(hash!)) throw bad('a scrypt password hash from npm run cli -- console hash-password (never the password itself)');
    if (users.some((u) => u.name === user)) throw bad(`each user once ("${user}" twice)`);
    users.push({ name: user!, role: role as Role, passwordHash: hash! });
  }
  return users;
}

/** `<client> <scope,scope> sha256:<hex>`, one client a line; `#` starts a comment. */
export function parseClients({ name, file, lines }: ReturnType<typeof readFile>): ApiClient[] {
  const clients: ApiClient[] = [];
  for (const [n, fields] of lines) {
    const bad = (expected: string) => new ConfigError(name, `${file} line ${n}`, expected);
    const [client, scopes, digest] = fields;
    if (fields.length !== 3) throw bad('lines of "<client> <scope,scope> sha256:<hex>" (make one with: npm run cli -- console create-token)');
    const list = scopes!.split(',');
    const unknown = list.filter((s) => !(SCOPES as readonly string[]).includes(s));
    if (unknown.length) throw bad(`scopes among ${SCOPES.join(', ')} ("${unknown.join(', ')}" is not one)`);
    const hex = /^sha256:([0-9a-f]{64})$/.exec(digest!)?.[1];
    if (!hex) throw bad('sha256:<64 hex digits>, the SHA-256 of the token (never the token itself)');
    if (clients.some((c) => c.name === client)) throw bad(`each client once ("${client}" twice)`);
    clients.push({ name: client!, scopes: list as Scope[], tokenSha256: hex });
  }
  return clients;
}

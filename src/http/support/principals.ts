/**
 * Who may use the support console and API, and what each may do. People are users with a role;
 * machines (the customer portal) are clients with bearer tokens, each limited to scopes.
 */
import crypto from 'node:crypto';

export const SCOPES = ['activation:redeem', 'failed:read', 'failed:write', 'collaborations:read', 'overview:read', 'audit:read'] as const;
export type Scope = (typeof SCOPES)[number];

export type Role = 'viewer' | 'operator';
const VIEWER: Scope[] = ['failed:read', 'collaborations:read', 'overview:read', 'audit:read'];

/** viewer: read everything support sees; operator: also requeue, archive and unarchive. */
export const ROLE_SCOPES: Record<Role, Scope[]> = { viewer: VIEWER, operator: [...VIEWER, 'failed:write'] };

export interface SupportUser {
  name: string;
  role: Role;
  /** scrypt hash (see password.ts). */
  passwordHash: string;
}

export interface ApiClient {
  name: string;
  scopes: Scope[];
  /** SHA-256 of the token, hex: the token itself is never kept. */
  tokenSha256: string;
}

/** Whoever makes a request: `actor` is what the audit trail records. */
export interface Principal {
  kind: 'user' | 'client';
  name: string;
  actor: string;
  scopes: Scope[];
  role?: Role;
}

export function userPrincipal(user: { name: string; role: Role }): Principal {
  return { kind: 'user', name: user.name, actor: `user:${user.name}`, scopes: ROLE_SCOPES[user.role], role: user.role };
}

export function clientPrincipal(client: ApiClient): Principal {
  return { kind: 'client', name: client.name, actor: `client:${client.name}`, scopes: client.scopes };
}

export function tokenSha256(token: string): string {
  return crypto.createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new bearer token: 32 random bytes, base64url, prefixed so it is recognisable in a secret scanner. */
export function newApiToken(): string {
  return `cwt_${crypto.randomBytes(32).toString('base64url')}`;
}

/** The client whose token this is, compared in constant time; undefined for an unknown token. */
export function clientForToken(clients: ApiClient[], token: string): ApiClient | undefined {
  const digest = Buffer.from(tokenSha256(token), 'hex');
  let found: ApiClient | undefined;
  for (const c of clients) if (crypto.timingSafeEqual(digest, Buffer.from(c.tokenSha256, 'hex'))) found = c;
  return found;
}

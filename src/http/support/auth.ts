/**
 * Who is asking, and may they. A request carries either a bearer token (machines: the portal)
 * or a console session cookie (people). Routes name the scope they need; a session-authenticated
 * request that changes state must also carry the session's CSRF token (bearer requests cannot be
 * forged by a browser: it never adds the header by itself).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/session';
import type {} from '@fastify/csrf-protection';
import { clientForToken, clientPrincipal, userPrincipal, type Principal, type Scope } from './principals.js';
import type { SupportConfig } from './config.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** How the principal was known: a session needs CSRF tokens on writes, a bearer token does not. */
    authenticatedBy: 'bearer' | 'session' | null;
  }
  interface Session {
    /** Set at login; the role is looked up in the configuration on every request. */
    user?: { name: string };
  }
}

export class AuthError extends Error {
  constructor(
    readonly statusCode: 401 | 403,
    readonly code: 'unauthenticated' | 'forbidden',
    message: string,
  ) {
    super(message);
    this.name = 'AuthError';
  }
}

/** Resolves the principal of every request (before any route runs). */
export function registerAuthentication(app: FastifyInstance, config: SupportConfig): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('authenticatedBy', null);
  app.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
      const client = token ? clientForToken(config.clients, token) : undefined;
      if (!client) throw new AuthError(401, 'unauthenticated', 'the bearer token is not valid (Authorization: Bearer <token>)');
      request.principal = clientPrincipal(client);
      request.authenticatedBy = 'bearer';
      return;
    }
    const name = request.session?.user?.name;
    // A user removed from the configuration loses a session they still hold.
    const user = name !== undefined ? config.users.find((u) => u.name === name) : undefined;
    if (user) {
      request.principal = userPrincipal(user);
      request.authenticatedBy = 'session';
    }
  });
}

/** A preValidation hook (so auth answers before input checks): 401 without a principal, 403 without `scope`, and the CSRF check for session writes. */
export function requireScope(app: FastifyInstance, scope: Scope) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const principal = request.principal;
    if (!principal) throw new AuthError(401, 'unauthenticated', 'log in to the console, or send Authorization: Bearer <token>');
    if (!principal.scopes.includes(scope)) {
      const why = principal.kind === 'user' ? `the role ${principal.role} does not allow this` : `the token of ${principal.name} does not have this scope`;
      throw new AuthError(403, 'forbidden', `needs ${scope}: ${why}`);
    }
    if (request.authenticatedBy === 'session' && !['GET', 'HEAD', 'OPTIONS'].includes(request.method)) await checkCsrf(app, request, reply);
  };
}

/** @fastify/csrf-protection's check, awaited: throws its 403 error when the token is missing or wrong. */
export function checkCsrf(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  return new Promise((resolve, reject) => {
    app.csrfProtection(request, reply, (err?: Error) => (err ? reject(err) : resolve()));
  });
}

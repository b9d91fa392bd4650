/**
 * Logging in and out. Logins are rate-limited per client address (SUPPORT_LOGIN_ATTEMPTS a
 * minute); the password is checked against its scrypt hash, with the same cost for unknown
 * users; a successful login gets a new session id (no fixation). Every attempt is audited.
 */
import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/rate-limit';
import type { SupportContext } from '../support/context.js';
import { checkCsrf } from '../support/auth.js';
import { DUMMY_HASH, verifyPassword } from '../support/password.js';
import { page } from './render.js';

/** A `next` that stays inside the console (no open redirect). */
function safeNext(next: unknown): string {
  return typeof next === 'string' && next.startsWith('/console') && !next.startsWith('//') ? next : '/console';
}

export function registerLoginRoutes(app: FastifyInstance, ctx: SupportContext): void {
  app.get<{ Querystring: { next?: string } }>('/console/login', async (request, reply) => {
    if (request.authenticatedBy === 'session') return reply.redirect(safeNext(request.query.next), 303);
    return page(request, reply, 'login', { title: 'Log in', next: request.query.next });
  });

  app.post<{ Body: { username?: string; password?: string }; Querystring: { next?: string } }>('/console/login', {
    // Counted per address and user name, after the form is read: guessing one user's password is
    // slowed down, while colleagues behind the same address can still log in.
    config: { rateLimit: { max: ctx.config.loginAttemptsPerMinute, timeWindow: 60_000, hook: 'preHandler', keyGenerator: (request) => `${request.ip}\n${String((request.body as { username?: unknown } | undefined)?.username ?? '')}` } },
  }, async (request, reply) => {
    await checkCsrf(app, request, reply);
    const username = String(request.body?.username ?? '').slice(0, 100);
    const password = String(request.body?.password ?? '');
    const user = ctx.config.users.find((u) => u.name === username);
    const ok = (await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH)) && user !== undefined;
    const now = ctx.clock();
    if (!ok) {
      await ctx.store.transaction((tx) => tx.auditLog.add({ actor: `user:${username}`, action: 'login failed', detail: request.ip }, now));
      ctx.log.warn({ user: username, address: request.ip }, 'console login failed');
      return page(request, reply, 'login', { title: 'Log in', error: 'Wrong user name or password.', username }, 401);
    }
    await request.session.regenerate();
    request.session.user = { name: user.name };
    await ctx.store.transaction((tx) => tx.auditLog.add({ actor: `user:${user.name}`, action: 'login', detail: request.ip }, now));
    ctx.log.info({ user: user.name, role: user.role }, 'console login');
    return reply.redirect(safeNext(request.query.next), 303);
  });

  app.post('/console/logout', async (request, reply) => {
    const name = request.session.user?.name;
    if (name !== undefined) {
      await checkCsrf(app, request, reply);
      await ctx.store.transaction((tx) => tx.auditLog.add({ actor: `user:${name}`, action: 'logout' }, ctx.clock()));
    }
    await request.session.destroy();
    return reply.redirect('/console/login', 303);
  });
}

/**
 * The support server: the console (/console) and the API (/api/v1) on Fastify, apart from the
 * health and metrics server (HTTP_PORT), bound to SUPPORT_HOST (127.0.0.1 unless told otherwise).
 * Sessions (@fastify/session, in this process's memory) are HttpOnly, SameSite=Strict cookies,
 * Secure over TLS, ending after SUPPORT_SESSION_IDLE without use; CSRF tokens come from
 * @fastify/csrf-protection, login limits from @fastify/rate-limit.
 */
import crypto from 'node:crypto';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import session from '@fastify/session';
import formbody from '@fastify/formbody';
import csrf from '@fastify/csrf-protection';
import rateLimit from '@fastify/rate-limit';
import type { SupportContext } from './context.js';
import { SettingError } from '../../config.js';
import { registerAuthentication } from './auth.js';
import { IdleSessionStore } from './session-store.js';
import { registerErrorHandler } from './errors.js';
import { registerApi, registerOpenApi } from '../api/index.js';
import { registerConsole, renderConsoleError } from '../console/index.js';

export const SESSION_COOKIE = 'collab_console';

export interface SupportServer {
  /** e.g. http://127.0.0.1:8081 */
  url: string;
  port: number;
  /** Every route the server answers (method and URL pattern), for the OpenAPI completeness test. */
  routes: { method: string; url: string }[];
  close(): Promise<void>;
}

export async function buildSupportApp(ctx: SupportContext): Promise<{ app: FastifyInstance; routes: SupportServer['routes'] }> {
  const { config } = ctx;
  const app = Fastify({
    loggerInstance: ctx.log.child({ component: 'support-http' }),
    // Request lines would carry search terms (names, emails); actions are logged by the routes.
    logController: new LogController({ disableRequestLogging: true }),
    ...(config.tls ? { https: { cert: config.tls.cert, key: config.tls.key } } : {}),
    bodyLimit: 1024 * 1024,
  }) as unknown as FastifyInstance;
  const routes: SupportServer['routes'] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) if (method !== 'HEAD') routes.push({ method, url: r.url });
  });
  await registerOpenApi(app);
  await app.register(cookie);
  const sessions = new IdleSessionStore(config.sessionIdleMs);
  app.addHook('onClose', async () => sessions.close());
  await app.register(session, {
    cookieName: SESSION_COOKIE,
    store: sessions,
    // Sessions live in this process only: a random key per start is enough (a restart logs everyone out).
    secret: crypto.randomBytes(32).toString('base64url'),
    saveUninitialized: false,
    rolling: true,
    cookie: { httpOnly: true, sameSite: 'strict', secure: !!config.tls, path: '/', maxAge: config.sessionIdleMs },
  });
  await app.register(formbody);
  await app.register(csrf, { sessionPlugin: '@fastify/session' });
  await app.register(rateLimit, { global: false });
  registerAuthentication(app, config);
  registerErrorHandler(app, ctx.log, renderConsoleError);
  app.addHook('onSend', async (_request, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'same-origin');
    reply.header('content-security-policy', "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'none'; frame-ancestors 'none'; form-action 'self'");
  });
  registerApi(app, ctx);
  registerConsole(app, ctx);
  await app.ready();
  return { app, routes };
}

export async function startSupportServer(ctx: SupportContext): Promise<SupportServer> {
  const { app, routes } = await buildSupportApp(ctx);
  try {
    await app.listen({ host: ctx.config.host, port: ctx.config.port });
  } catch (err) {
    await app.close();
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'EADDRINUSE' ? 'the port is in use' : e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND' ? 'no such address on this machine' : e.message;
    const variable = e.code === 'EADDRINUSE' ? 'SUPPORT_PORT' : 'SUPPORT_HOST';
    throw new SettingError(variable, `the support console cannot listen on SUPPORT_HOST=${ctx.config.host} SUPPORT_PORT=${ctx.config.port}: ${why}`);
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : ctx.config.port;
  const host = ctx.config.host.includes(':') ? `[${ctx.config.host}]` : ctx.config.host;
  return { url: `${ctx.config.tls ? 'https' : 'http'}://${host}:${port}`, port, routes, close: () => app.close() };
}

/** The support console: server-rendered pages under /console for support staff. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SupportContext } from '../support/context.js';
import type { Answer } from '../support/errors.js';
import { registerLoginRoutes } from './login-routes.js';
import { registerFailedPages } from './failed-pages.js';
import { registerOtherPages } from './other-pages.js';
import { page } from './render.js';

export function registerConsole(app: FastifyInstance, ctx: SupportContext): void {
  registerLoginRoutes(app, ctx);
  registerFailedPages(app, ctx);
  registerOtherPages(app, ctx);
  app.get('/', async (_request, reply) => reply.redirect('/console', 303));
}

const HEADINGS: Record<number, string> = { 400: 'That did not work', 403: 'Not allowed', 404: 'Not found', 429: 'Too many attempts', 503: 'Not available right now' };

/** An error as a console page; not logged in: the login page. */
export function renderConsoleError(request: FastifyRequest, reply: FastifyReply, answer: Answer) {
  if (answer.status === 401) return reply.redirect('/console/login', 303);
  return page(request, reply, 'error', { title: HEADINGS[answer.status] ?? 'Error', heading: HEADINGS[answer.status] ?? 'Error', message: answer.message }, answer.status);
}

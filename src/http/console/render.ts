/**
 * Server-rendered pages with Eta (views/console/*.eta). Eta escapes every `<%= %>` value by
 * default, so a value from a message (a customer name holding `<script>`) shows as text; raw
 * output (`<%~ %>`) is used only to place one rendered template inside the layout.
 */
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type {} from '@fastify/csrf-protection';

const VIEWS = fileURLToPath(new URL('../../../views/console/', import.meta.url));
const eta = new Eta({ views: VIEWS, autoEscape: true, cache: true });

/** Renders `view` with the logged-in user and a CSRF token for the page's forms. */
export function page(request: FastifyRequest, reply: FastifyReply, view: string, data: Record<string, unknown>, status = 200) {
  const me = request.authenticatedBy === 'session' ? request.principal : null;
  const html = eta.render(`./${view}`, { ...data, me, csrf: reply.generateCsrf(), canWrite: !!me?.scopes.includes('failed:write') });
  return reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
}

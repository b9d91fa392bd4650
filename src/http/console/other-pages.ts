/** The overview, collaboration search and timeline, and the audit log. */
import type { FastifyInstance } from 'fastify';
import type { SupportContext } from '../support/context.js';
import { consoleScope } from './guard.js';
import { page } from './render.js';
import { overview } from '../../support/overview.js';
import { failureGroups } from '../../support/failed.js';
import { searchCollaborationsFor, timeline } from '../../support/collaborations.js';
import { NotFoundError } from '../../support/errors.js';

const AUDIT_PAGE = 100;

export function registerOtherPages(app: FastifyInstance, ctx: SupportContext): void {
  app.get('/console', { preValidation: consoleScope(app, 'overview:read') }, async (request, reply) =>
    page(request, reply, 'overview', {
      title: 'Overview',
      overview: await overview(ctx.store, ctx.readiness(), ctx.clock()),
      groups: await failureGroups(ctx.store),
      operations: ctx.operations.list().slice(0, 10),
    }),
  );

  app.get<{ Querystring: { q?: string } }>('/console/collaborations', { preValidation: consoleScope(app, 'collaborations:read') }, async (request, reply) => {
    const q = (request.query.q ?? '').trim();
    return page(request, reply, 'collaborations', { title: 'Collaborations', q, results: q ? await searchCollaborationsFor(ctx.store, q) : [] });
  });

  app.get<{ Params: { id: string } }>('/console/collaborations/:id', { preValidation: consoleScope(app, 'collaborations:read') }, async (request, reply) => {
    const t = await timeline(ctx.store, request.params.id);
    if (!t) throw new NotFoundError(`no collaboration ${request.params.id}`);
    return page(request, reply, 'timeline', { title: `Collaboration ${t.collaboration.id}`, t });
  });

  app.get<{ Querystring: { before?: string } }>('/console/audit', { preValidation: consoleScope(app, 'audit:read') }, async (request, reply) => {
    const before = Number(request.query.before);
    const entries = await ctx.store.read((r) => r.auditLog.list(Number.isInteger(before) && before > 0 ? before : undefined, AUDIT_PAGE));
    return page(request, reply, 'audit', {
      title: 'Audit log',
      entries: entries.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
      nextBefore: entries.length === AUDIT_PAGE ? entries[entries.length - 1]!.id : undefined,
    });
  });
}

/** /api/v1: overview, collaborations (search, timeline), audit log, and activation-link redemption for the portal. */
import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/swagger';
import type { SupportContext } from '../support/context.js';
import { requireScope } from '../support/auth.js';
import { overview } from '../../support/overview.js';
import { searchCollaborationsFor, timeline } from '../../support/collaborations.js';
import { redeemActivation, type RedeemRefusal } from '../../support/activation.js';
import { NotFoundError } from '../../support/errors.js';
import { adminSchema, auditEntrySchema, authErrors, collaborationSummarySchema, errorSchema, overviewSchema, timelineSchema } from './schemas.js';

/** Each refusal its own status and code (contract section 8). */
const REFUSALS: Record<RedeemRefusal, { status: 404 | 409 | 410; code: string }> = {
  unknown: { status: 404, code: 'token_unknown' },
  used: { status: 409, code: 'token_used' },
  expired: { status: 410, code: 'token_expired' },
};

export function registerOtherRoutes(app: FastifyInstance, ctx: SupportContext): void {
  app.get('/api/v1/overview', {
    preValidation: requireScope(app, 'overview:read'),
    schema: { tags: ['overview'], summary: 'Broker connection, consuming, outbox backlog and oldest age, failed counts', response: { 200: overviewSchema, ...authErrors } },
  }, async () => overview(ctx.store, ctx.readiness(), ctx.clock()));

  app.get<{ Querystring: { q: string; limit?: number } }>('/api/v1/collaborations', {
    preValidation: requireScope(app, 'collaborations:read'),
    schema: {
      tags: ['collaborations'],
      summary: 'Collaborations by collaboration id, customer id or org number (exact), or customer name (contains)',
      querystring: { type: 'object', required: ['q'], properties: { q: { type: 'string', minLength: 1 }, limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 } }, additionalProperties: false },
      response: { 200: { type: 'array', items: collaborationSummarySchema }, 400: errorSchema, ...authErrors },
    },
  }, async (request) => searchCollaborationsFor(ctx.store, request.query.q, request.query.limit));

  app.get<{ Params: { id: string } }>('/api/v1/collaborations/:id/timeline', {
    preValidation: requireScope(app, 'collaborations:read'),
    schema: {
      tags: ['collaborations'],
      summary: 'One collaboration\'s timeline: events received, emails and commands sent, reminders, failed messages, its admin',
      params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      response: { 200: timelineSchema, 404: errorSchema, ...authErrors },
    },
  }, async (request) => {
    const found = await timeline(ctx.store, request.params.id);
    if (!found) throw new NotFoundError(`no collaboration ${request.params.id}`);
    return found;
  });

  app.get<{ Querystring: { before?: number; limit?: number } }>('/api/v1/audit-log', {
    preValidation: requireScope(app, 'audit:read'),
    schema: {
      tags: ['audit'],
      summary: 'Who did what, newest first; page with before = the last id seen',
      querystring: { type: 'object', properties: { before: { type: 'integer', minimum: 1 }, limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 } }, additionalProperties: false },
      response: { 200: { type: 'array', items: auditEntrySchema }, ...authErrors },
    },
  }, async (request) => (await ctx.store.read((r) => r.auditLog.list(request.query.before, request.query.limit ?? 100))).map((e) => ({ ...e, at: new Date(e.at).toISOString() })));

  app.post<{ Body: { token: string } }>('/api/v1/activations/redeem', {
    preValidation: requireScope(app, 'activation:redeem'),
    schema: {
      tags: ['activation'],
      summary: 'Redeem a new administrator\'s activation link, once (contract section 8)',
      description:
        'The first call returns the administrator and publishes customer-admin.activated. A second call answers 409 token_used; ' +
        'a token past ACTIVATION_TOKEN_TTL or of an expired invitation 410 token_expired; an unknown token 404 token_unknown.',
      body: { type: 'object', required: ['token'], properties: { token: { type: 'string', minLength: 1, maxLength: 200 } }, additionalProperties: false },
      response: { 200: object({ admin: adminSchema }), 400: errorSchema, 404: errorSchema, 409: errorSchema, 410: errorSchema, ...authErrors },
    },
  }, async (request, reply) => {
    const result = await redeemActivation(ctx.store, request.body.token, request.principal!.actor, ctx.clock());
    if (result.ok) {
      ctx.onActivated();
      ctx.log.info({ adminId: result.admin.id, collaborationId: result.admin.collaborationId, actor: request.principal!.actor }, 'activation link redeemed');
      return { admin: result.admin };
    }
    const { status, code } = REFUSALS[result.refusal];
    ctx.log.info({ refusal: result.refusal, actor: request.principal!.actor }, 'activation link refused');
    return reply.code(status).send({ error: { code, message: result.message, field: null } });
  });
}

function object(properties: Record<string, unknown>) {
  return { type: 'object', properties, required: Object.keys(properties) } as const;
}

/** /api/v1/failed-messages: list, groups, one message, requeue (a background operation), archive, unarchive. */
import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/swagger';
import type { SupportContext } from '../support/context.js';
import { requireScope } from '../support/auth.js';
import { archive, failedDetail, failureGroups, listFailedPage, MAX_PAGE_SIZE, PAGE_SIZE, unarchive, type Selection } from '../../support/failed.js';
import { InputError, NotFoundError } from '../../support/errors.js';
import { toQuery, type FilterInput } from '../../support/failed-filter.js';
import { authErrors, errorSchema, failedDetailSchema, failedSummarySchema, filterProperties, groupSchema, idsBody, operationSchema, statusChangeSchema } from './schemas.js';

interface RequeueBody {
  ids?: number[];
  group?: string;
  all?: boolean;
  filter?: FilterInput;
}

/** Exactly one of ids, group, all. */
export function toSelection(body: RequeueBody): Selection {
  const named = [body.ids !== undefined, body.group !== undefined, body.all === true].filter(Boolean).length;
  if (named !== 1) throw new InputError('ids', 'or group or all: name exactly one of them');
  if (body.ids) return { ids: body.ids };
  if (body.group !== undefined) return { group: body.group };
  return { all: true, filter: body.filter ? toQuery(body.filter, undefined) : undefined };
}

export function registerFailedRoutes(app: FastifyInstance, ctx: SupportContext): void {
  const read = requireScope(app, 'failed:read');
  const write = requireScope(app, 'failed:write');
  const tags = ['failed messages'];

  app.get<{ Querystring: FilterInput & { cursor?: string; limit?: number } }>('/api/v1/failed-messages', {
    preValidation: read,
    schema: {
      tags,
      summary: 'Failed messages matching the filters, newest first, a page at a time',
      querystring: {
        type: 'object',
        properties: { ...filterProperties, cursor: { type: 'string', description: 'nextCursor of the previous page' }, limit: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: PAGE_SIZE } },
        additionalProperties: false,
      },
      response: {
        200: { type: 'object', required: ['items', 'nextCursor', 'total'], properties: { items: { type: 'array', items: failedSummarySchema }, nextCursor: { type: ['string', 'null'] }, total: { type: 'integer' } } },
        400: errorSchema,
        ...authErrors,
      },
    },
  }, async (request) => {
    const { cursor, limit, ...filter } = request.query;
    return listFailedPage(ctx.store, toQuery(filter), cursor, limit);
  });

  app.get('/api/v1/failed-messages/groups', {
    preValidation: read,
    schema: { tags, summary: 'Failed messages (status failed) counted by reason, with first and last failure', response: { 200: { type: 'array', items: groupSchema }, ...authErrors } },
  }, async () => failureGroups(ctx.store));

  app.get<{ Params: { id: number } }>('/api/v1/failed-messages/:id', {
    preValidation: read,
    schema: {
      tags,
      summary: 'One failed message whole: body, headers, reason, attempts, audit trail',
      params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] },
      response: { 200: failedDetailSchema, 404: errorSchema, ...authErrors },
    },
  }, async (request) => {
    const detail = await failedDetail(ctx.store, request.params.id);
    if (!detail) throw new NotFoundError(`no failed message #${request.params.id}`);
    return detail;
  });

  app.post<{ Body: RequeueBody; Headers: { 'idempotency-key'?: string } }>('/api/v1/failed-messages/requeue', {
    preValidation: write,
    schema: {
      tags,
      summary: 'Send failed messages back (after the cause is fixed), as a background operation',
      description:
        'Name exactly one of ids, group or all (with an optional filter). Answers 202 with the operation at once; poll GET /api/v1/operations/{id}. ' +
        'Only messages still failed when their turn comes are sent, so repeating a requeue sends nothing twice; the same Idempotency-Key returns the same operation (200).',
      headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', maxLength: 200 } } },
      body: {
        type: 'object',
        properties: {
          ids: { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 1, maxItems: 10_000 },
          group: { type: 'string', minLength: 1 },
          all: { type: 'boolean' },
          filter: { type: 'object', properties: { ...filterProperties }, additionalProperties: false },
        },
        additionalProperties: false,
      },
      response: { 200: operationSchema, 202: operationSchema, 400: errorSchema, 404: errorSchema, 503: errorSchema, ...authErrors },
    },
  }, async (request, reply) => {
    const { operation, created } = await ctx.operations.start(toSelection(request.body ?? {}), request.principal!.actor, request.headers['idempotency-key']);
    reply.code(created ? 202 : 200).header('location', `/api/v1/operations/${operation.id}`);
    return operation;
  });

  for (const [path, change, summary] of [
    ['archive', archive, 'Keep failed messages but hide them from the list (only those with status failed)'],
    ['unarchive', unarchive, 'Bring archived messages back to the list (status failed)'],
  ] as const) {
    app.post<{ Body: { ids: number[] } }>(`/api/v1/failed-messages/${path}`, {
      preValidation: write,
      schema: { tags, summary, body: idsBody, response: { 200: statusChangeSchema, 400: errorSchema, 404: errorSchema, ...authErrors } },
    }, async (request) => change(ctx.store, request.body.ids, request.principal!.actor, ctx.clock()));
  }

  app.get('/api/v1/operations', {
    preValidation: read,
    schema: { tags, summary: 'Requeue operations of this worker process, newest first', response: { 200: { type: 'array', items: operationSchema }, ...authErrors } },
  }, async () => ctx.operations.list());

  app.get<{ Params: { id: string } }>('/api/v1/operations/:id', {
    preValidation: read,
    schema: {
      tags,
      summary: 'A requeue operation\'s progress',
      params: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
      response: { 200: operationSchema, 404: errorSchema, ...authErrors },
    },
  }, async (request) => {
    const operation = ctx.operations.get(request.params.id);
    if (!operation) throw new NotFoundError(`no operation ${request.params.id} in this worker process`);
    return operation;
  });
}

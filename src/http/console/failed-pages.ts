/**
 * The failed-message pages: groups and list with filters, one message, and the actions. Every
 * bulk action first shows how many messages it will touch and asks to confirm; the confirmed
 * form carries a one-time key, so submitting it twice starts one requeue, not two. Plain forms
 * and redirects: it all works without JavaScript.
 */
import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SupportContext } from '../support/context.js';
import { consoleScope } from './guard.js';
import { page } from './render.js';
import { archive, describeSelection, failedDetail, failureGroups, listFailedPage, selectionIds, unarchive, type Selection } from '../../support/failed.js';
import { NotFoundError } from '../../support/errors.js';
import { toQuery, type FilterInput } from '../../support/failed-filter.js';
import type { FailedStatus } from '../../store/failed-message.js';

type Form = Record<string, string | string[] | undefined>;
const FILTER_FIELDS = ['type', 'reason', 'collaborationId', 'eventId', 'from', 'to'] as const;

const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
const many = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function filterOf(form: Form): FilterInput & { group?: string } {
  const status = one(form.status);
  const filter: FilterInput & { group?: string } = { status: [(['failed', 'requeued', 'archived'].includes(status ?? '') ? status : 'failed') as FailedStatus] };
  for (const k of FILTER_FIELDS) if (one(form[k])) filter[k] = one(form[k]);
  if (one(form.group)) filter.group = one(form.group);
  return filter;
}

/** The selection a form names: ids, a group, or all failed messages matching the filter fields. */
function selectionOf(form: Form): Selection {
  const ids = many(form.ids).map(Number).filter((n) => Number.isInteger(n) && n > 0);
  if (ids.length) return { ids };
  if (one(form.all) === '1') {
    // Everything the list shows (its filters, and its group when it shows one), status failed.
    const { status: _status, group, ...rest } = filterOf(form);
    return { all: true, filter: { ...toQuery(rest, undefined), ...(group ? { group } : {}) } };
  }
  if (one(form.group)) return { group: one(form.group)! };
  throw new NotFoundError('nothing was selected: tick messages in the list first');
}

/** The hidden fields that carry a selection from the confirm page to the action. */
function fieldsOf(form: Form): [string, string][] {
  const fields: [string, string][] = many(form.ids).map((id) => ['ids', id]);
  for (const k of ['group', 'all', ...FILTER_FIELDS]) if (one(form[k])) fields.push([k, one(form[k])!]);
  return fields;
}

export function registerFailedPages(app: FastifyInstance, ctx: SupportContext): void {
  const read = consoleScope(app, 'failed:read');
  const write = consoleScope(app, 'failed:write');

  app.get<{ Querystring: Form & { cursor?: string } }>('/console/failed', { preValidation: read }, async (request, reply) => {
    const form = request.query;
    const { group, ...filter } = filterOf(form);
    const query = { ...toQuery(filter), group };
    const cursor = one(form.cursor);
    const [groups, pageOf] = [await failureGroups(ctx.store), await listFailedPage(ctx.store, query, cursor)];
    const filterFields = Object.fromEntries(FILTER_FIELDS.filter((k) => filter[k]).map((k) => [k, filter[k]]));
    const params = new URLSearchParams({ ...filterFields, status: filter.status![0]!, ...(group ? { group } : {}), ...(pageOf.nextCursor ? { cursor: pageOf.nextCursor } : {}) });
    return page(request, reply, 'failed', {
      title: 'Failed messages', groups, page: pageOf, filter: { ...filterFields, status: filter.status![0], group }, filterFields, nextHref: `/console/failed?${params}`,
    });
  });

  app.get<{ Params: { id: string } }>('/console/failed/:id', { preValidation: read }, async (request, reply) => {
    const id = Number(request.params.id);
    const m = Number.isInteger(id) && id > 0 ? await failedDetail(ctx.store, id) : undefined;
    if (!m) throw new NotFoundError(`no failed message #${request.params.id}`);
    return page(request, reply, 'detail', { title: `Failed message #${m.id}`, m, key: crypto.randomUUID() });
  });

  // From the list's checkboxes: the chosen action on the ticked messages, after confirming.
  app.post<{ Body: Form }>('/console/failed/selection', { preValidation: write }, async (request, reply) => {
    const action = one(request.body.action);
    const target = action === 'archive' ? 'archive' : action === 'unarchive' ? 'unarchive' : 'requeue';
    return confirm(request, reply, target, selectionOf(request.body));
  });

  app.post<{ Body: Form }>('/console/failed/requeue', { preValidation: write }, async (request, reply) => {
    const selection = selectionOf(request.body);
    if (one(request.body.confirm) !== 'yes') return confirm(request, reply, 'requeue', selection);
    const { operation } = await ctx.operations.start(selection, request.principal!.actor, one(request.body.key));
    return reply.redirect(`/console/operations/${operation.id}`, 303);
  });

  for (const [path, change] of [['archive', archive], ['unarchive', unarchive]] as const) {
    app.post<{ Body: Form }>(`/console/failed/${path}`, { preValidation: write }, async (request, reply) => {
      const selection = selectionOf(request.body);
      if (one(request.body.confirm) !== 'yes') return confirm(request, reply, path, selection);
      const ids = await selectionIds(ctx.store, selection);
      await change(ctx.store, ids, request.principal!.actor, ctx.clock());
      return reply.redirect(ids.length === 1 ? `/console/failed/${ids[0]}` : '/console/failed', 303);
    });
  }

  app.get<{ Params: { id: string } }>('/console/operations/:id', { preValidation: read }, async (request, reply) => {
    const o = ctx.operations.get(request.params.id);
    if (!o) throw new NotFoundError(`no operation ${request.params.id} in this worker process`);
    return page(request, reply, 'operation', { title: 'Requeue', o, refresh: o.status === 'running' ? 1 : undefined });
  });

  /** How many the action would touch now, and a form to go ahead. */
  async function confirm(request: FastifyRequest<{ Body: Form }>, reply: FastifyReply, verb: 'requeue' | 'archive' | 'unarchive', selection: Selection) {
    const ids = await selectionIds(ctx.store, selection);
    return page(request, reply, 'confirm', {
      title: 'Confirm', verb, count: ids.length, selection: describeSelection(selection), action: `/console/failed/${verb}`,
      fields: fieldsOf(request.body), key: crypto.randomUUID(),
    });
  }
}

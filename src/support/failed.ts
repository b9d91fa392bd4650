/**
 * What support does with failed messages, for the CLI, the API and the console alike: list with
 * filters and cursor paging, groups, one message whole, archive and unarchive, and which
 * messages a bulk action would touch. Every change is noted in the message's audit trail and
 * in the audit log, with who did it.
 */
import type { Store } from '../store/store.js';
import type { AuditEntry, FailedMessage, FailedQuery, FailedStatus, FailureGroupSpan } from '../store/failed-message.js';
import { InputError, NotFoundError } from './errors.js';

export type { FailedQuery } from '../store/failed-message.js';
export const FAILED_STATUSES: FailedStatus[] = ['failed', 'requeued', 'archived'];

/** A failed message without its body and headers, times as ISO-8601 (UTC). */
export interface FailedSummary {
  id: number;
  type: string | null;
  collaborationId: string | null;
  eventId: string | null;
  origin: 'queue' | 'outbox';
  errorClass: string;
  reason: string;
  group: string;
  attempts: number;
  firstFailedAt: string;
  failedAt: string;
  status: FailedStatus;
}

export interface FailedDetail extends FailedSummary {
  source: string | null;
  exchange: string;
  routingKey: string;
  contentType: string | null;
  headers: Record<string, unknown>;
  /** The body as text (UTF-8), JSON pretty-printed when it is JSON. */
  body: string;
  audit: { action: string; actor: string; at: string }[];
}

const iso = (ms: number) => new Date(ms).toISOString();

export function summary(m: FailedMessage): FailedSummary {
  return {
    id: m.id,
    type: m.type,
    collaborationId: m.collaborationId,
    eventId: m.messageId,
    origin: m.origin,
    errorClass: m.errorClass,
    reason: m.reason,
    group: m.groupKey,
    attempts: m.attempts,
    firstFailedAt: iso(m.firstFailedAt),
    failedAt: iso(m.lastFailedAt),
    status: m.status,
  };
}

export function prettyBody(body: Buffer): string {
  const text = body.toString('utf8');
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export interface FailedPage {
  items: FailedSummary[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
  /** How many match the filters in all (what a bulk action on them would touch). */
  total: number;
}

/** Page size when none is asked for, and the most one page holds. */
export const PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;

/**
 * One page of failed messages matching `query`, newest first. `cursor` is an opaque string
 * from a previous page's `nextCursor`. Throws InputError for a cursor that is not one.
 */
export async function listFailedPage(store: Store, query: FailedQuery, cursor?: string, limit = PAGE_SIZE): Promise<FailedPage> {
  const after = cursor ? decodeCursor(cursor) : undefined;
  const rows = await store.read((r) => r.failed.findPage(query, after, limit + 1));
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items: items.map(summary),
    nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
    total: await store.read((r) => r.failed.count(query)),
  };
}

function encodeCursor(m: FailedMessage): string {
  return Buffer.from(`${m.lastFailedAt}.${m.id}`).toString('base64url');
}

function decodeCursor(cursor: string): { lastFailedAt: number; id: number } {
  const match = /^(\d+)\.(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw new InputError('cursor', 'is not a cursor from a previous page (nextCursor)');
  return { lastFailedAt: Number(match[1]), id: Number(match[2]) };
}

export interface FailureGroup extends Omit<FailureGroupSpan, 'firstFailedAt' | 'lastFailedAt'> {
  firstFailedAt: string;
  lastFailedAt: string;
}

/** Failed messages (status failed) counted by reason, with their first and last failure. */
export async function failureGroups(store: Store): Promise<FailureGroup[]> {
  return (await store.read((r) => r.failed.groupSpans())).map((g) => ({ ...g, firstFailedAt: iso(g.firstFailedAt), lastFailedAt: iso(g.lastFailedAt) }));
}

/** Everything kept about one failed message, or undefined when there is no such id. */
export async function failedDetail(store: Store, id: number): Promise<FailedDetail | undefined> {
  const [m] = await store.read((r) => r.failed.list({ ids: [id] }));
  if (!m) return undefined;
  const audit: AuditEntry[] = await store.read((r) => r.failed.auditTrail(id));
  return {
    ...summary(m),
    source: m.source,
    exchange: m.exchange,
    routingKey: m.routingKey,
    contentType: m.contentType,
    headers: m.headers,
    body: prettyBody(m.body),
    audit: audit.map((a) => ({ action: a.action, actor: a.actor, at: iso(a.at) })),
  };
}

/** What a bulk action works on: these ids, one reason group, or every failed message matching a filter. */
export type Selection = { ids: number[] } | { group: string } | { all: true; filter?: FailedQuery };

export function describeSelection(s: Selection): string {
  if ('ids' in s) return s.ids.length === 1 ? `#${s.ids[0]}` : `${s.ids.length} selected`;
  if ('group' in s) return `group ${s.group}`;
  const named = Object.entries(s.filter ?? {})
    .filter(([k, v]) => v !== undefined && k !== 'status')
    .map(([k, v]) => `${k} ${k === 'from' || k === 'to' ? new Date(v as number).toISOString() : String(v)}`);
  return named.length ? `all failed with ${named.join(', ')}` : 'all failed';
}

/**
 * The ids a selection names now: explicit ids as given (each must exist, else InputError naming
 * them), a group's or a filter's failed messages (status failed only).
 */
export async function selectionIds(store: Store, s: Selection): Promise<number[]> {
  if ('ids' in s) {
    const found = new Set((await store.read((r) => r.failed.list({ ids: s.ids }))).map((m) => m.id));
    const missing = s.ids.filter((id) => !found.has(id));
    if (missing.length) throw new NotFoundError(`no failed message ${missing.map((n) => `#${n}`).join(', ')}`);
    return [...new Set(s.ids)];
  }
  if ('group' in s) return store.read((r) => r.failed.ids({ status: ['failed'], group: s.group }));
  return store.read((r) => r.failed.ids({ ...s.filter, status: ['failed'] }));
}

export interface StatusChange {
  /** The ids whose status changed. */
  changed: number[];
  /** The ids left alone, with why. */
  unchanged: { id: number; detail: string }[];
}

/** Hides failed messages from the list (status archived); only those with status failed. */
export function archive(store: Store, ids: number[], actor: string, now = Date.now()): Promise<StatusChange> {
  return changeStatus(store, ids, 'failed', 'archived', actor, now);
}

/** Brings archived messages back to the list (status failed). */
export function unarchive(store: Store, ids: number[], actor: string, now = Date.now()): Promise<StatusChange> {
  return changeStatus(store, ids, 'archived', 'failed', actor, now);
}

async function changeStatus(store: Store, ids: number[], from: FailedStatus, to: FailedStatus, actor: string, now: number): Promise<StatusChange> {
  const existing = await store.read((r) => r.failed.list({ ids }));
  const missing = ids.filter((id) => !existing.some((m) => m.id === id));
  if (missing.length) throw new NotFoundError(`no failed message ${missing.map((n) => `#${n}`).join(', ')}`);
  const action = to === 'archived' ? 'archived' : 'unarchived';
  return store.transaction(async (tx) => {
    const result: StatusChange = { changed: [], unchanged: [] };
    for (const m of existing) {
      if (await tx.failed.move(m.id, from, to, action, actor, now)) result.changed.push(m.id);
      else result.unchanged.push({ id: m.id, detail: `status is ${m.status}, not ${from}` });
    }
    if (result.changed.length) {
      await tx.auditLog.add({ actor, action: to === 'archived' ? 'archive' : 'unarchive', target: result.changed.map((id) => `failed:${id}`).join(' '), detail: `${result.changed.length} of ${ids.length}` }, now);
    }
    return result;
  });
}

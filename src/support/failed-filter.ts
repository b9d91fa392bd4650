/**
 * Filters of the failed-message list as people and programs send them (text: ISO-8601 times,
 * blank fields) turned into a store query, the same way for the API and the console.
 */
import type { FailedQuery, FailedStatus } from '../store/failed-message.js';
import { InputError } from './errors.js';

export interface FilterInput {
  status?: FailedStatus[];
  type?: string;
  reason?: string;
  collaborationId?: string;
  eventId?: string;
  from?: string;
  to?: string;
}

/**
 * Query or form fields to a store query; `status` defaults to failed. Throws InputError naming
 * `from` or `to` when it is not a date-time.
 */
export function toQuery(f: FilterInput, defaultStatus: FailedStatus[] | undefined = ['failed']): FailedQuery {
  const time = (field: string, text: string | undefined) => {
    if (text === undefined || text === '') return undefined;
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) throw new InputError(field, `must be a date-time (RFC 3339), e.g. 2026-11-22T09:15:00Z (got "${text}")`);
    return ms;
  };
  const blank = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());
  return {
    status: f.status?.length ? f.status : defaultStatus,
    type: blank(f.type),
    reason: blank(f.reason),
    collaborationId: blank(f.collaborationId),
    eventId: blank(f.eventId),
    from: time('from', f.from),
    to: time('to', f.to),
  };
}

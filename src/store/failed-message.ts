/**
 * Failed messages that support browses and re-queues, with their audit trail. A message that
 * fails again after a requeue updates its own row (same failure key), so the list stays one
 * row per message.
 */

export type FailedStatus = 'failed' | 'requeued' | 'archived';

export interface FailureRecord {
  /** One row per failing thing: the same message failing again updates its row. */
  failureKey: string;
  origin: 'queue' | 'outbox';
  messageId: string | null;
  source: string | null;
  type: string | null;
  collaborationId: string | null;
  exchange: string;
  routingKey: string;
  contentType: string | null;
  headers: Record<string, unknown>;
  body: Buffer;
  errorClass: string;
  reason: string;
  groupKey: string;
  attempts: number;
  /** The failed message this delivery was requeued from (its failing again goes in that audit trail). */
  requeuedFrom?: number;
}

export interface FailedMessage extends FailureRecord {
  id: number;
  firstFailedAt: number;
  lastFailedAt: number;
  status: FailedStatus;
}

export interface FailedFilter {
  status?: FailedStatus[];
  /** Reason contains this text, case-insensitively. */
  reason?: string;
  type?: string;
  group?: string;
  ids?: number[];
}

export interface FailureGroup {
  groupKey: string;
  errorClass: string;
  count: number;
  lastFailedAt: number;
  example: string;
}

export interface AuditEntry {
  action: string;
  actor: string;
  at: number;
}

/** Filters of support's failed-message list. Times are milliseconds since the epoch; `to` is exclusive. */
export interface FailedQuery {
  status?: FailedStatus[];
  type?: string;
  /** Text the reason contains, case-insensitive. */
  reason?: string;
  collaborationId?: string;
  /** The envelope id of the event (or the outbox id of a failed delivery). */
  eventId?: string;
  group?: string;
  from?: number;
  to?: number;
}

/** Where a page ends: the last row's failure time and id (the list's sort key). */
export interface FailedCursor {
  lastFailedAt: number;
  id: number;
}

export interface FailureGroupSpan {
  groupKey: string;
  errorClass: string;
  count: number;
  firstFailedAt: number;
  lastFailedAt: number;
  /** One reason of the group (they differ only in ids and quoted values). */
  example: string;
  /** The types of message in the group, sorted. */
  types: string[];
}

export interface FailedMessageReads {
  /** Newest first (last failure), then highest id. */
  list(filter?: FailedFilter): Promise<FailedMessage[]>;
  /** Failed (not requeued or archived) messages counted by group, largest first. */
  groups(): Promise<FailureGroup[]>;
  /** In the order things happened (time, then order of writing). */
  auditTrail(id: number): Promise<AuditEntry[]>;
  countByStatus(): Promise<Record<FailedStatus, number>>;
  /** One page of support's list, newest first, after `cursor` (exclusive). */
  findPage(query: FailedQuery, cursor: FailedCursor | undefined, limit: number): Promise<FailedMessage[]>;
  count(query: FailedQuery): Promise<number>;
  /** The ids matching `query`, oldest failure first (the order a bulk requeue sends them back in). */
  ids(query: FailedQuery): Promise<number[]>;
  /** Failed messages (status failed) by reason group, largest first, with their time span and types. */
  groupSpans(): Promise<FailureGroupSpan[]>;
}

export interface FailedMessages extends FailedMessageReads {
  /**
   * Keeps a failed message, or updates the record of the same message (same failure key) when it
   * fails again: attempts add up, the reason is the newest, and the status is `failed` again, so
   * a message that fails after a requeue is listed again. Failing after a requeue is noted in the
   * audit trail (action `failed again`, actor `worker`).
   */
  record(failure: FailureRecord, now: number): Promise<void>;
  /** Sets the status and writes who did it to the audit trail. */
  setStatus(id: number, status: FailedStatus, actor: string, now: number): Promise<void>;
  /**
   * Moves a failed message from one status to another only if it is in `from` now, and records
   * `action` in the audit trail only then: archiving twice changes nothing the second time.
   * Returns whether it moved.
   */
  move(id: number, from: FailedStatus, to: FailedStatus, action: string, actor: string, now: number): Promise<boolean>;
  /**
   * Marks a failed message requeued after it was sent back, unless it failed again in between
   * (its attempts grew since `attemptsWhenRead`, or its status moved on): a newer `failed` is
   * never overwritten. The requeue is in the audit trail either way. True if the status changed.
   */
  markRequeued(id: number, attemptsWhenRead: number, actor: string, requeuedAt: number): Promise<boolean>;
  /** What became of a requeued message (`handled`, `skipped`, `handled before`), in its audit trail. */
  recordRequeueOutcome(id: number, action: string, now: number): Promise<void>;
}

/** A failed_messages row (snake_case columns, headers as JSON text) as the rest of the code sees it. */
export function failedMessageFromRow(r: Record<string, unknown>): FailedMessage {
  return {
    id: r.id as number,
    failureKey: r.failure_key as string,
    origin: r.origin as 'queue' | 'outbox',
    messageId: r.message_id as string | null,
    source: r.source as string | null,
    type: r.type as string | null,
    collaborationId: r.collaboration_id as string | null,
    exchange: r.exchange as string,
    routingKey: r.routing_key as string,
    contentType: r.content_type as string | null,
    headers: JSON.parse(r.headers as string) as Record<string, unknown>,
    body: r.body as Buffer,
    errorClass: r.error_class as string,
    reason: r.reason as string,
    groupKey: r.group_key as string,
    attempts: r.attempts as number,
    firstFailedAt: r.first_failed_at as number,
    lastFailedAt: r.last_failed_at as number,
    status: r.status as FailedStatus,
  };
}

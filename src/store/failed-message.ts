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

export interface FailedMessageReads {
  /** Newest first (last failure), then highest id. */
  list(filter?: FailedFilter): Promise<FailedMessage[]>;
  /** Failed (not requeued or archived) messages counted by group, largest first. */
  groups(): Promise<FailureGroup[]>;
  auditTrail(id: number): Promise<AuditEntry[]>;
  countByStatus(): Promise<Record<FailedStatus, number>>;
}

export interface FailedMessages extends FailedMessageReads {
  /** Keeps a failure; the same failure key again adds its attempts and makes it failed again. */
  record(failure: FailureRecord, now: number): Promise<void>;
  /** Sets the status and writes who did it to the audit trail. */
  setStatus(id: number, status: FailedStatus, actor: string, now: number): Promise<void>;
}

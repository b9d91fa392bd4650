/** Turns a refused or given-up message into the record support sees. */
import crypto from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import type { FailureRecord } from '../store/failed-messages.js';
import { toExtension, type TraceContext } from '../tracing/trace-context.js';
import { INCOMING_EVENT_TYPES } from '../messages/schemas.js';
import { maskSecrets } from '../text/mask.js';
import { printable } from '../text/printable.js';

export const ATTEMPT_HEADER = 'x-collab-attempt';
export const ROUTING_KEY_HEADER = 'x-collab-routing-key';
export const LAST_ERROR_HEADER = 'x-collab-last-error';
/** Set by a requeue: the id of the failed message the delivery was sent back from. */
export const REQUEUED_FROM_HEADER = 'x-collab-requeued-from';

export interface MessageHint {
  id?: string;
  source?: string;
  type?: string;
  collaborationId?: string;
}

/** The routing key the message was first published with (retries travel under other keys). */
export function originalRoutingKey(msg: ConsumeMessage): string {
  const header = msg.properties.headers?.[ROUTING_KEY_HEADER];
  return typeof header === 'string' ? header : msg.fields.routingKey;
}

export function attemptOf(msg: ConsumeMessage): number {
  const n = Number(msg.properties.headers?.[ATTEMPT_HEADER] ?? 0);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

/** The failed message this delivery was requeued from, if it was. */
export function requeuedFromOf(msg: ConsumeMessage): number | undefined {
  const n = Number(msg.properties.headers?.[REQUEUED_FROM_HEADER]);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * Reasons of one kind differ only in ids, numbers and quoted values: those are masked, so
 * `collaboration col-1 is not known yet` and `collaboration col-2 ...` form one group.
 */
export function groupKeyOf(errorClass: string, reason: string): string {
  const shape = reason
    .replace(/"[^"]*"/g, '"…"')
    .replace(/\b[\w.@-]*\d[\w.@-]*\b/g, '#');
  return crypto.createHash('sha256').update(`${errorClass}\n${shape}`).digest('hex').slice(0, 10);
}

/** A reason as support reads it: addresses and tokens masked, hidden characters escaped. */
export function readableReason(reason: string): string {
  return printable(maskSecrets(reason));
}

/**
 * The contract's event type of a message, or undefined: its envelope's type when that is one of
 * the contract's; for a body without a readable envelope (not JSON), the routing key it was
 * published with when that names one. Never any other value from the input (metric labels).
 */
export function knownType(hint: MessageHint, routingKey: string): string | undefined {
  const known = (t: string) => (INCOMING_EVENT_TYPES as readonly string[]).includes(t);
  if (hint.type !== undefined) return known(hint.type) ? hint.type : undefined;
  return known(routingKey) ? routingKey : undefined;
}

export function failureFromMessage(
  msg: ConsumeMessage,
  hint: MessageHint,
  errorClass: string,
  rawReason: string,
  attempts: number,
  /** The trace the message was handled in: kept as its `traceparent` header, so a requeue continues it. */
  trace?: TraceContext,
): FailureRecord {
  const reason = readableReason(rawReason);
  // The same envelope failing again is the same failed message; a body we could not read is
  // known by its content.
  const key = hint.id && hint.source ? `event:${hint.source}:${hint.id}` : `body:${crypto.createHash('sha256').update(msg.content).digest('hex')}`;
  // The broker's own headers (x-death, …) are kept: they tell support the message's past here.
  const { [ATTEMPT_HEADER]: _a, [LAST_ERROR_HEADER]: _e, [REQUEUED_FROM_HEADER]: _r, ...headers } = msg.properties.headers ?? {};
  return {
    failureKey: key,
    origin: 'queue',
    messageId: hint.id ?? (msg.properties.messageId as string | undefined) ?? null,
    source: hint.source ?? null,
    type: hint.type ?? knownType(hint, originalRoutingKey(msg)) ?? null,
    collaborationId: hint.collaborationId ?? null,
    exchange: msg.fields.exchange,
    routingKey: originalRoutingKey(msg),
    contentType: (msg.properties.contentType as string | undefined) ?? null,
    headers: trace ? { ...headers, ...toExtension(trace) } : headers,
    body: msg.content,
    errorClass,
    reason,
    groupKey: groupKeyOf(errorClass, reason),
    attempts,
    requeuedFrom: requeuedFromOf(msg),
  };
}

/**
 * JSON Schemas of the API's answers and inputs: Fastify validates inputs with them (a bad field
 * is a 400 naming it) and serializes answers, and @fastify/swagger writes them into the OpenAPI
 * document. Objects allow more properties than they list, so nothing is cut when a service adds one.
 */
const str = { type: 'string' } as const;
const nullableStr = { type: ['string', 'null'] } as const;
const time = { type: 'string', format: 'date-time' } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;
const int = { type: 'integer' } as const;

function object(properties: Record<string, unknown>, required: string[] = Object.keys(properties)) {
  return { type: 'object', properties, required, additionalProperties: true } as const;
}

export const errorSchema = object({
  error: object({ code: str, message: str, field: nullableStr }, ['code', 'message']),
});

/** Responses every protected route can give. */
export const authErrors = { 401: errorSchema, 403: errorSchema };

export const failedStatus = { type: 'string', enum: ['failed', 'requeued', 'archived'] } as const;

export const failedSummarySchema = object({
  id: int,
  type: nullableStr,
  collaborationId: nullableStr,
  eventId: nullableStr,
  origin: { type: 'string', enum: ['queue', 'outbox'] },
  errorClass: str,
  reason: str,
  group: str,
  attempts: int,
  firstFailedAt: time,
  failedAt: time,
  status: failedStatus,
});

export const failedDetailSchema = {
  ...failedSummarySchema,
  properties: {
    ...failedSummarySchema.properties,
    source: nullableStr,
    exchange: str,
    routingKey: str,
    contentType: nullableStr,
    headers: { type: 'object', additionalProperties: true },
    body: { type: 'string', description: 'the body as UTF-8 text, JSON pretty-printed' },
    audit: { type: 'array', items: object({ action: str, actor: str, at: time }) },
  },
  required: [...failedSummarySchema.required, 'exchange', 'routingKey', 'headers', 'body', 'audit'],
};

export const groupSchema = object({
  groupKey: str,
  errorClass: str,
  count: int,
  firstFailedAt: time,
  lastFailedAt: time,
  example: str,
  types: { type: 'array', items: str },
});

export const operationSchema = object({
  id: str,
  kind: { type: 'string', enum: ['requeue'] },
  selection: str,
  actor: str,
  status: { type: 'string', enum: ['running', 'done', 'stopped'] },
  total: int,
  processed: int,
  requeued: int,
  skipped: int,
  failed: int,
  notRequeued: { type: 'array', items: object({ id: int, detail: str }) },
  error: nullableStr,
  startedAt: time,
  finishedAt: nullableTime,
});

export const statusChangeSchema = object({
  changed: { type: 'array', items: int },
  unchanged: { type: 'array', items: object({ id: int, detail: str }) },
});

export const filterProperties = {
  status: { type: 'array', items: failedStatus, description: 'default: failed; repeat for several' },
  type: { type: 'string', description: 'event, command or email type' },
  reason: { type: 'string', description: 'text the reason contains (case-insensitive)' },
  collaborationId: str,
  eventId: { type: 'string', description: 'the envelope id (or outbox id)' },
  from: { ...time, description: 'failed at or after' },
  to: { ...time, description: 'failed before' },
} as const;

export const idsBody = {
  type: 'object',
  required: ['ids'],
  properties: { ids: { type: 'array', items: { type: 'integer', minimum: 1 }, minItems: 1, maxItems: 10_000 } },
  additionalProperties: false,
} as const;

export const collaborationSummarySchema = object({
  id: str,
  state: { type: 'string', enum: ['pending', 'active', 'expired', 'ended'] },
  brand: str,
  service: str,
  customer: object({ id: str, name: str, orgNumber: str, relation: str }),
  agency: object({ id: str, name: str }),
  invitedAt: time,
});

export const timelineSchema = object({
  collaboration: collaborationSummarySchema,
  reminders: object({ sent: int, nextDueAt: nullableTime }),
  admin: {
    type: ['object', 'null'],
    description: 'the new customer\'s administrator; never its activation token',
    properties: { id: str, email: str, firstName: str, lastName: str, activatedAt: nullableTime, activationExpiresAt: time },
    additionalProperties: true,
  },
  entries: {
    type: 'array',
    description: 'oldest first: events received (event-received, with outcome), emails, commands and events sent (status, attempts, lastError), failed messages',
    items: object({ at: time, kind: { type: 'string', enum: ['event-received', 'email', 'command', 'event-published', 'failed-message'] } }),
  },
  failedMessages: { type: 'array', items: failedSummarySchema },
});

export const overviewSchema = object({
  ready: { type: 'boolean' },
  broker: str,
  consuming: { type: ['boolean', 'null'] },
  outbox: object({ pending: int, oldestAgeSeconds: { type: ['integer', 'null'] } }),
  failed: object({ failed: int, requeued: int, archived: int }),
  at: time,
});

export const auditEntrySchema = object({ id: int, at: time, actor: str, action: str, target: nullableStr, detail: nullableStr });

export const adminSchema = object({ id: str, customerId: str, collaborationId: str, email: str, firstName: str, lastName: str, activatedAt: time });

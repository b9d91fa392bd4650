/**
 * Validation of every message in and out against schemas/, with ajv compiled once when this
 * module loads. A refused message gets one line a support person can act on: which field, what
 * is wrong with it, and, where the contract explains it, why.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { isEmailAddress } from './email-address.js';
import { readEnvelope } from './structured-mode.js';
import { maskSecrets } from '../text/mask.js';
import { printable } from '../text/printable.js';
import type {
  CollaborationActivatedData,
  CollaborationApprovedData,
  CollaborationEndedData,
} from '../generated/messages.js';

const SCHEMAS_DIR = path.resolve(import.meta.dirname, '../../schemas');
const BASE_ID = 'https://collab-worker.example/schemas/';

export const INCOMING_EVENT_TYPES = ['collaboration.activated', 'collaboration.approved', 'collaboration.ended'] as const;
export const OUTGOING_EVENT_TYPES = [
  'collaboration.invitation-sent',
  'customer-admin.created',
  'customer-admin.activated',
  'collaboration.reminder-sent',
  'collaboration.invitation-expired',
] as const;
export const COMMAND_TYPES = [
  'subscription.service.activate',
  'administration.einvoice.configure',
  'administration.einvoice.disable',
  'bookkeeping-invoicing.einvoice-receipt.enable',
  'bookkeeping-invoicing.einvoice-receipt.disable',
  'administration.scanner.connect',
  'administration.scanner.disconnect',
  'bookkeeping-invoicing.scanner.connect',
  'bookkeeping-invoicing.scanner.disconnect',
  'payroll.digital-addons.enable',
  'payroll.digital-addons.disable',
] as const;
export type IncomingEventType = (typeof INCOMING_EVENT_TYPES)[number];
export type OutgoingEventType = (typeof OUTGOING_EVENT_TYPES)[number];
export type CommandType = (typeof COMMAND_TYPES)[number];

interface Envelope<T extends IncomingEventType, D> {
  specversion: '1.0';
  id: string;
  source: string;
  type: T;
  time?: string;
  datacontenttype?: string;
  /** The distributed-tracing extension, as received: unchecked (a malformed one is ignored, not refused). */
  traceparent?: unknown;
  tracestate?: unknown;
  data: D;
}

export type IncomingEvent =
  | Envelope<'collaboration.activated', CollaborationActivatedData>
  | Envelope<'collaboration.approved', CollaborationApprovedData>
  | Envelope<'collaboration.ended', CollaborationEndedData>;

export interface MessageHint {
  id?: string;
  source?: string;
  type?: string;
  collaborationId?: string;
  /** The distributed-tracing extension of a refused message, as received. */
  traceparent?: unknown;
  tracestate?: unknown;
}

export type ParseResult = { ok: true; event: IncomingEvent } | { ok: false; reason: string; hint: MessageHint };

// ajv-formats is CommonJS with a default export; under NodeNext it arrives wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv, formats: string[]) => Ajv;
const ajv = new Ajv({ strict: true, discriminator: true, verbose: true, allErrors: false });
addFormats(ajv, ['date-time']);
// JSON Schema's `email` is ASCII only (RFC 5321); `idn-email` is RFC 6531, which the contract takes.
ajv.addFormat('idn-email', isEmailAddress);
for (const file of ['common.schema.json', 'cloudevent.schema.json', ...list('events'), ...list('commands')]) {
  ajv.addSchema(JSON.parse(fs.readFileSync(path.join(SCHEMAS_DIR, file), 'utf8')) as object);
}

function list(dir: string): string[] {
  return fs.readdirSync(path.join(SCHEMAS_DIR, dir)).filter((f) => f.endsWith('.schema.json')).map((f) => `${dir}/${f}`);
}

function compiled(id: string): ValidateFunction {
  const validate = ajv.getSchema(`${BASE_ID}${id}`);
  if (!validate) throw new Error(`no schema ${id} in ${SCHEMAS_DIR}`);
  return validate;
}

const validateEnvelope = compiled('cloudevent.schema.json');
const validateData = new Map<string, ValidateFunction>(
  [...INCOMING_EVENT_TYPES, ...OUTGOING_EVENT_TYPES].map((t) => [t, compiled(`events/${t}.schema.json`)] as const),
);
for (const t of COMMAND_TYPES) validateData.set(t, compiled(`commands/${t}.schema.json`));

/**
 * Reads one delivery as the contract's CloudEvent (JSON structured mode): the body, its AMQP
 * content type and headers. A refusal's reason names the member or field and says what to send
 * instead; addresses in it are masked and characters that would hide or reorder text are
 * escaped (it is shown to people and logged).
 */
export function parseIncoming(body: Buffer, contentType: string | undefined, headers?: Record<string, unknown>): ParseResult {
  const read = readEnvelope(body, contentType, headers);
  if (!read.ok) return { ok: false, reason: forPeople(read.reason), hint: read.json === undefined ? {} : hintOf(read.json) };
  const json = read.json;
  const hint = hintOf(json);
  const refuse = (reason: string): ParseResult => ({ ok: false, reason: forPeople(reason), hint });
  if (!validateEnvelope(json)) return refuse(`not a CloudEvent: ${describe(validateEnvelope.errors![0]!, '')}`);
  const envelope = json as { type: string; data: unknown };
  if (!(INCOMING_EVENT_TYPES as readonly string[]).includes(envelope.type)) {
    return refuse(`unsupported event type ${JSON.stringify(envelope.type)} (expected ${INCOMING_EVENT_TYPES.join(', ')})`);
  }
  const validate = validateData.get(envelope.type)!;
  if (!validate(envelope.data)) return refuse(describe(validate.errors![0]!, 'data'));
  return { ok: true, event: json as IncomingEvent };
}

const forPeople = (reason: string) => printable(maskSecrets(reason));

/** Our own commands and events must match their schema: a mismatch is a bug, caught before it leaves. */
export function assertValidOutgoing(type: string, data: unknown): void {
  const validate = (OUTGOING_EVENT_TYPES as readonly string[]).includes(type) || (COMMAND_TYPES as readonly string[]).includes(type)
    ? validateData.get(type)
    : undefined;
  if (!validate) throw new Error(`no schema for outgoing message type "${type}"`);
  if (!validate(data)) throw new Error(`outgoing ${type} is invalid: ${describe(validate.errors![0]!, 'data')}`);
}

function hintOf(json: unknown): MessageHint {
  if (typeof json !== 'object' || json === null) return {};
  const j = json as Record<string, unknown>;
  const data = typeof j.data === 'object' && j.data !== null ? (j.data as Record<string, unknown>) : {};
  // Shown in the failed messages' list: no character that hides or reorders the text around it.
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? printable(v) : undefined);
  return { id: str(j.id), source: str(j.source), type: str(j.type), collaborationId: str(data.collaborationId), traceparent: j.traceparent, tracestate: j.tracestate };
}

/** Why the contract asks for a field, where knowing it helps whoever fixes the message. */
const WHY: Record<string, string> = {
  'data.taskId': 'a collaboration needs a task (uppdrag) connected to the customer',
  'data.customer.contact': 'the contact is required; for a new customer it becomes the administrator',
  'data.customer.contact.email': 'for a new customer this person becomes the administrator and gets the activation link',
};

function describe(err: ErrorObject, root: string): string {
  const at = `${root}${err.instancePath.replace(/\//g, '.')}`.replace(/^\./, '');
  const name = (field: string) => (at ? `${at}.${field}` : field);
  const why = (field: string) => (WHY[field] ? `: ${WHY[field]}` : '');
  const got = (value: unknown) => ` (got ${JSON.stringify(value)})`;
  switch (err.keyword) {
    case 'required': {
      const field = name(String(err.params.missingProperty));
      return `${field} is required${why(field)}`;
    }
    case 'discriminator': {
      const field = name(String(err.params.tag));
      if (err.params.error === 'tag' && err.params.tagValue === undefined) return `${field} is required`;
      return serviceCodeProblem(field, err.params.tagValue);
    }
    case 'enum':
    case 'const': {
      if (at.endsWith('service.code')) return serviceCodeProblem(at, err.data);
      const allowed = (err.keyword === 'enum' ? (err.params.allowedValues as unknown[]) : [err.params.allowedValue]).map((v) => JSON.stringify(v));
      return `${at} must be ${allowed.length > 1 ? `one of ${allowed.join(', ')}` : allowed[0]}${got(err.data)}`;
    }
    case 'format': {
      const what = err.params.format === 'idn-email' ? 'an email address' : `a ${String(err.params.format)} (RFC 3339)`;
      return `${at} must be ${what}${got(err.data)}${why(at)}`;
    }
    case 'additionalProperties':
      return `${at || 'the message'} has a field the contract does not know: "${String(err.params.additionalProperty)}"`;
    case 'minLength':
      return `${at} must not be empty${why(at)}`;
    case 'type':
      return `${at || 'the message'} must be ${String(err.params.type)}${got(err.data)}`;
    default:
      return `${at || 'the message'} ${err.message ?? 'is invalid'}`;
  }
}

function serviceCodeProblem(field: string, value: unknown): string {
  const payslip = value === 'payslip' ? '; Payslip alone is activated as payroll with scope "payslip-only"' : '';
  return `${field} ${JSON.stringify(value)} is not a service code (expected payroll, scanner or digital-invoices)${payslip}`;
}

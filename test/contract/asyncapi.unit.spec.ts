/**
 * asyncapi.yaml against the code and the examples: it parses, it names exactly what the worker
 * binds and publishes, on the right exchanges with the right delivery, every payload's data is
 * the schema file itself, and the contract's example messages validate against it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Parser, fromFile, type AsyncAPIDocumentInterface, type Diagnostic } from '@asyncapi/parser';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { buildTopology, COMMANDS_EXCHANGE, EVENTS_EXCHANGE } from '../../src/broker/topology.js';
import { COMMAND_TYPES, OUTGOING_EVENT_TYPES } from '../../src/messages/schemas.js';
import { ASYNCAPI_FILE } from '../../src/contract/asyncapi-document.js';
import { FIXTURES } from '../support/harness.js';
import { isEmailAddress } from '../../src/messages/email-address.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv, formats: string[]) => Ajv;

// Severity 0 is an error; anything else is listed here with the reason it is accepted.
const ACCEPTED_DIAGNOSTICS: Record<string, string> = {
  'asyncapi-latest-version': 'the issue asks for AsyncAPI 3.0; 3.1 adds nothing this contract uses',
};

let document: AsyncAPIDocumentInterface;
let diagnostics: Diagnostic[];

beforeAll(async () => {
  const result = await fromFile(new Parser(), ASYNCAPI_FILE).parse();
  diagnostics = result.diagnostics;
  if (!result.document) throw new Error(`asyncapi.yaml does not parse: ${JSON.stringify(result.diagnostics, null, 2)}`);
  document = result.document;
});

type Json = Record<string, any>;

/** The JSON Schema of a message's payload, with the parser's $refs resolved. */
function payloadSchema(type: string): Json {
  const message = document.messages().all().find((m) => m.name() === type);
  if (!message) throw new Error(`no message named ${type} in asyncapi.yaml`);
  const json = message.payload()!.json() as Json;
  return (json.schema ?? json) as Json;
}

function dataSchema(type: string): Json {
  return (payloadSchema(type).allOf as Json[]).find((part) => part.properties?.type?.const === type)!.properties.data as Json;
}

/** ajv for one payload; the inlined schema files keep their $id, so several carry the same one. */
function validator(type: string) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv, ['date-time']);
  ajv.addFormat('idn-email', isEmailAddress); // the worker's own check (RFC 6531)
  return ajv.compile(JSON.parse(JSON.stringify(payloadSchema(type), (key, value: unknown) => (key === '$id' ? undefined : value))) as object);
}

function operations(action: 'send' | 'receive') {
  return document.operations().all().filter((o) => o.action() === action).map((o) => {
    const channel = o.channels().all()[0]!;
    return {
      address: channel.address()!,
      exchange: (channel.bindings().get('amqp')!.value() as Json).exchange as Json,
      publish: o.bindings().get('amqp')?.value() as Json | undefined,
    };
  });
}

describe('asyncapi.yaml', () => {
  it('parses without errors; every other diagnostic is one we looked at', () => {
    expect(diagnostics.filter((d) => d.severity === 0)).toEqual([]);
    const others = diagnostics.filter((d) => !(String(d.code) in ACCEPTED_DIAGNOSTICS));
    expect(others.map((d) => `${String(d.code)}: ${d.message}`)).toEqual([]);
    expect(document.version()).toBe('3.0.0');
  });

  it('describes the RabbitMQ server and both exchanges as topic, durable', () => {
    const server = document.servers().all()[0]!;
    expect([server.protocol(), server.protocolVersion()]).toEqual(['amqp', '0.9.1']);
    const exchanges = new Map(document.channels().all().map((c) => {
      const e = (c.bindings().get('amqp')!.value() as Json).exchange as Json;
      return [e.name as string, { type: e.type as string, durable: e.durable as boolean }];
    }));
    expect(Object.fromEntries(exchanges)).toEqual({
      [EVENTS_EXCHANGE]: { type: 'topic', durable: true },
      [COMMANDS_EXCHANGE]: { type: 'topic', durable: true },
    });
  });

  it('receives exactly the event types the worker binds its queue to', () => {
    const topology = buildTopology({ prefix: 'collab-worker', retryDelaysMs: [1000], deliveryLimit: 5 });
    const bound = topology.bindings.filter((b) => b.queue === topology.eventsQueue).map((b) => `${b.exchange} ${b.routingKey}`);
    const received = operations('receive').map((o) => `${o.exchange.name as string} ${o.address}`);
    expect(received.sort()).toEqual(bound.sort());
  });

  it('sends exactly the commands and events the worker can publish, persistent, commands mandatory', () => {
    const sent = operations('send');
    const expected = [
      ...OUTGOING_EVENT_TYPES.map((t) => ({ address: t, exchange: EVENTS_EXCHANGE, deliveryMode: 2, mandatory: false })),
      ...COMMAND_TYPES.map((t) => ({ address: t, exchange: COMMANDS_EXCHANGE, deliveryMode: 2, mandatory: true })),
    ];
    const actual = sent.map((o) => ({ address: o.address, exchange: o.exchange.name, deliveryMode: o.publish?.deliveryMode, mandatory: o.publish?.mandatory }));
    const byAddress = (a: { address: string }, b: { address: string }) => a.address.localeCompare(b.address);
    expect(actual.sort(byAddress)).toEqual(expected.sort(byAddress));
    // One channel per routing key, one message per channel.
    expect(new Set(document.channels().all().map((c) => c.address())).size).toBe(document.channels().length);
    expect(document.messages().length).toBe(document.channels().length);
  });

  it("takes each message's data schema from its file in schemas/ (no copies)", () => {
    for (const op of [...operations('send'), ...operations('receive')]) {
      const dir = (COMMAND_TYPES as readonly string[]).includes(op.address) ? 'commands' : 'events';
      const file = JSON.parse(fs.readFileSync(path.join(ROOT, 'schemas', dir, `${op.address}.schema.json`), 'utf8')) as Json;
      const data = dataSchema(op.address);
      expect(data.$id, op.address).toBe(file.$id);
      expect(data.required, op.address).toEqual(file.required);
      expect(payloadSchema(op.address).allOf[0].$id).toBe('https://collab-worker.example/schemas/cloudevent.schema.json');
    }
  });

  it('accepts each example message in test/fixtures against its message', () => {
    const examples = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
    expect(examples.length).toBeGreaterThanOrEqual(5);
    for (const file of examples) {
      const example = JSON.parse(fs.readFileSync(path.join(FIXTURES, file), 'utf8')) as Json;
      const validate = validator(example.type as string);
      expect(validate(example) ? 'valid' : validate.errors, file).toBe('valid');
    }
  });

  it('refuses the invalid examples, as the worker does', () => {
    for (const file of ['missing-task.json', 'payslip-as-service-code.json']) {
      const example = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'invalid', file), 'utf8')) as Json;
      expect(validator(example.type as string)(example), file).toBe(false);
    }
  });

  it('describes the tracing extension: a W3C traceparent passes, a malformed one does not', () => {
    const example = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'approved.json'), 'utf8')) as Json;
    const validate = validator('collaboration.approved');
    expect(validate({ ...example, traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'vendor=1' })).toBe(true);
    expect(validate({ ...example, traceparent: 'not-a-traceparent' })).toBe(false);
  });
});

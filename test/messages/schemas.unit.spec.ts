import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertValidOutgoing, parseIncoming } from '../../src/messages/schemas.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures');
const read = (name: string) => fs.readFileSync(path.join(FIXTURES, name));
const json = (name: string) => JSON.parse(read(name).toString('utf8')) as Record<string, any>;
const body = (value: unknown) => Buffer.from(JSON.stringify(value));

describe('incoming messages', () => {
  it.each([
    ['activated-digital-invoices-new.json', 'collaboration.activated'],
    ['activated-payroll-has-service.json', 'collaboration.activated'],
    ['activated-scanner-has-account.json', 'collaboration.activated'],
    ['approved.json', 'collaboration.approved'],
    ['ended.json', 'collaboration.ended'],
  ])('%s is a valid %s', (file, type) => {
    const result = parseIncoming(read(file), 'application/cloudevents+json');
    expect(result.ok && result.event.type).toBe(type);
  });

  it.each([
    ['invalid/missing-task.json', 'data.taskId is required: a collaboration needs a task (uppdrag) connected to the customer'],
    ['invalid/payslip-as-service-code.json', 'data.service.code "payslip" is not a service code (expected payroll, scanner or digital-invoices); Payslip alone is activated as payroll with scope "payslip-only"'],
  ])('%s is refused: %s', (file, reason) => {
    const result = parseIncoming(read(file), 'application/cloudevents+json');
    expect(result).toMatchObject({ ok: false, reason, hint: { type: 'collaboration.activated', collaborationId: expect.stringMatching(/^col-bad/) } });
  });

  it('refuses a truncated body as not JSON', () => {
    const result = parseIncoming(read('invalid/truncated-json.txt'), 'application/cloudevents+json');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/^body is not valid JSON \(.+\)$/);
  });

  it('accepts application/json and a missing content type, refuses others', () => {
    expect(parseIncoming(read('approved.json'), 'application/json; charset=utf-8').ok).toBe(true);
    expect(parseIncoming(read('approved.json'), undefined).ok).toBe(true);
    const refused = parseIncoming(read('approved.json'), 'text/plain');
    expect(!refused.ok && refused.reason).toBe('unsupported content type "text/plain" (expected application/cloudevents+json or application/json)');
  });

  it('refuses what is not a CloudEvent, and event types it does not handle', () => {
    const event = json('approved.json');
    const noSpec = parseIncoming(body({ ...event, specversion: '0.3' }), undefined);
    expect(!noSpec.ok && noSpec.reason).toBe('not a CloudEvent: specversion must be "1.0" (got "0.3")');
    const noId = parseIncoming(body({ ...event, id: undefined }), undefined);
    expect(!noId.ok && noId.reason).toBe('not a CloudEvent: id is required');
    const unknown = parseIncoming(body({ ...event, type: 'collaboration.paused' }), undefined);
    expect(!unknown.ok && unknown.reason).toMatch(/^unsupported event type "collaboration.paused"/);
  });

  it('refuses a new customer without a contact email, naming the field and why it matters', () => {
    const event = json('activated-digital-invoices-new.json');
    delete event.data.customer.contact.email;
    const result = parseIncoming(body(event), undefined);
    expect(!result.ok && result.reason).toMatch(/^data\.customer\.contact\.email is required: for a new customer/);
    event.data.customer.contact.email = 'karin at kaffekoppen';
    const bad = parseIncoming(body(event), undefined);
    expect(!bad.ok && bad.reason).toMatch(/^data\.customer\.contact\.email must be an email address \(got "karin at kaffekoppen"\)/);
  });

  it('reads extra fields it does not know without complaint (tolerant reader)', () => {
    const event = json('approved.json');
    expect(parseIncoming(body({ ...event, data: { ...event.data, comment: 'later field' } }), undefined).ok).toBe(true);
  });
});

describe('outgoing messages', () => {
  const good = { collaborationId: 'c', customerId: 'k', customerOrgNumber: '556000-0000', agencyId: 'a' };

  it('accepts a command that matches its schema', () => {
    expect(() => assertValidOutgoing('administration.scanner.connect', good)).not.toThrow();
  });

  it('names the missing or unexpected field of a command that does not', () => {
    const { customerOrgNumber: _, ...missing } = good;
    expect(() => assertValidOutgoing('administration.scanner.connect', missing)).toThrow('outgoing administration.scanner.connect is invalid: data.customerOrgNumber is required');
    expect(() => assertValidOutgoing('administration.scanner.connect', { ...good, token: 'x' })).toThrow('field the contract does not know: "token"');
    expect(() => assertValidOutgoing('scanner.teleport', good)).toThrow('no schema for outgoing message type "scanner.teleport"');
  });
});

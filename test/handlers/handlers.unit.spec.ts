/**
 * The handlers are pure: state in, decisions out. These tests drive them with an in-memory state
 * and check every branch of the contract's section 4 without a broker or a database.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { handle } from '../../src/handlers/index.js';
import { Effects } from '../../src/handlers/effects.js';
import type { HandlerState } from '../../src/handlers/context.js';
import type { Collaboration } from '../../src/store/collaboration.js';
import type { NewCustomerAdmin } from '../../src/store/customer-admin.js';
import type { IncomingEvent } from '../../src/messages/incoming.js';
import { createLogger } from '../../src/logger.js';
import { deriveToken, hashToken } from '../../src/admin/activation-token.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures');
const event = (name: string, patch: Record<string, unknown> = {}) =>
  ({ ...JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')), ...patch }) as IncomingEvent;
const NOW = new Date('2026-11-22T10:00:00Z');

class MemoryState implements HandlerState {
  readonly admins: NewCustomerAdmin[] = [];
  effects: Effects;
  constructor(readonly collaborations = new Map<string, Collaboration>(), e?: IncomingEvent) {
    this.effects = new Effects(NOW, e ?? { source: '/test', id: 'x' });
  }
  collaboration(id: string) {
    return this.collaborations.get(id);
  }
  saveCollaboration(c: Collaboration) {
    this.collaborations.set(c.id, c);
  }
  addCustomerAdmin(a: NewCustomerAdmin) {
    this.admins.push(a);
  }
}

function run(e: IncomingEvent, collaborations?: Map<string, Collaboration>) {
  const state = new MemoryState(collaborations, e);
  const outcome = handle(e, {
    state, now: NOW, log: createLogger('silent'), activationSecret: 'secret', activationTokenTtlMs: 86_400_000,
    policy: { reminderDays: [3, 7], invitationExpiryDays: 14 },
  });
  const topics = state.effects.entries.map((x) => x.topic);
  return { outcome, state, topics };
}

function activated(name: string): Collaboration {
  return run(event(name)).state.collaborations.values().next().value!;
}

describe('collaboration.activated', () => {
  it.each([
    ['activated-payroll-has-service.json', 0, ['invitation', 'collaboration.invitation-sent']],
    ['activated-scanner-has-account.json', 0, ['invitation', 'subscription.service.activate', 'collaboration.invitation-sent']],
    ['activated-digital-invoices-new.json', 1, ['customer-admin.created', 'admin-welcome', 'subscription.service.activate', 'collaboration.invitation-sent']],
  ])('%s: %i admin(s), effects %j', (file, admins, topics) => {
    const result = run(event(file));
    expect(result.outcome).toEqual({ kind: 'done' });
    expect(result.state.admins).toHaveLength(admins);
    expect(result.topics).toEqual(topics);
    const [c] = result.state.collaborations.values();
    expect(c).toMatchObject({ state: 'pending', invitedAt: NOW.getTime(), remindersSent: 0, nextDueAt: NOW.getTime() + 3 * 86_400_000, expiresAt: NOW.getTime() + 14 * 86_400_000 });
  });

  it('stores only the hash of the activation token; the outbox row carries the nonce, never the token', () => {
    const result = run(event('activated-digital-invoices-new.json'));
    const [admin] = result.state.admins;
    const token = deriveToken('secret', admin!.id, admin!.tokenNonce);
    expect(admin!.tokenHash).toBe(hashToken(token));
    expect(JSON.stringify(admin)).not.toContain(token);
    const rows = JSON.stringify(result.state.effects.entries);
    expect(rows).not.toContain(token);
    const welcome = result.state.effects.entries.find((x) => x.topic === 'admin-welcome')!;
    expect(welcome.payload).toMatchObject({ activation: { adminId: admin!.id, nonce: admin!.tokenNonce } });
  });

  it('skips a collaboration it already knows, with no effect', () => {
    const known = new Map([['col-1002', activated('activated-scanner-has-account.json')]]);
    const result = run(event('activated-scanner-has-account.json', { id: 'another-id' }), known);
    expect(result.outcome).toEqual({ kind: 'skip', reason: 'collaboration col-1002 is already known (state pending)' });
    expect(result.topics).toEqual([]);
  });
});

describe('collaboration.approved', () => {
  const approval = event('approved.json');

  it('is retried while the collaboration is unknown', () => {
    expect(run(approval).outcome).toMatchObject({ kind: 'retry' });
  });

  it.each([
    ['pending', 'done'],
    ['expired', 'done'],
    ['active', 'skip'],
    ['ended', 'skip'],
  ] as const)('of a %s collaboration: %s', (state, kind) => {
    const c = { ...activated('activated-digital-invoices-new.json'), state };
    const result = run(approval, new Map([[c.id, c]]));
    expect(result.outcome.kind).toBe(kind);
    if (kind === 'done') {
      expect(result.topics).toEqual(['bookkeeping-invoicing.einvoice-receipt.enable', 'collaboration-approved']);
      expect(result.state.collaborations.get(c.id)).toMatchObject({ state: 'active', approvedAt: NOW.getTime(), nextDueAt: null });
    } else {
      expect(result.topics).toEqual([]);
    }
  });

  it.each([
    ['activated-scanner-has-account.json', 'col-1002', 'administration.scanner.connect'],
    ['activated-payroll-has-service.json', 'col-1003', 'payroll.digital-addons.enable'],
  ])('publishes the sync command of the service (%s)', (file, id, command) => {
    const c = activated(file);
    const result = run(event('approved.json', { data: { collaborationId: id, approvedBy: { name: 'A', email: 'a@example.com' } } }), new Map([[id, c]]));
    expect(result.topics[0]).toBe(command);
  });

  it('of an administration customer configures e-invoices with the service fields', () => {
    const c = activated('activated-digital-invoices-new.json');
    c.activation = { ...c.activation, service: { code: 'digital-invoices', customerProduct: 'administration', paymentRecipient: 'customer', sendAllInvoices: false, receiveInvoices: true } };
    const result = run(approval, new Map([[c.id, c]]));
    const command = result.state.effects.entries[0]!;
    expect(command.topic).toBe('administration.einvoice.configure');
    expect((command.payload as { message: { data: unknown } }).message.data).toEqual({
      collaborationId: 'col-1001', customerId: 'cust-5001', customerOrgNumber: '559000-1234', agencyId: 'agency-17',
      sendAllInvoices: false, receiveInvoices: true, paymentRecipient: 'customer',
    });
  });
});

describe('collaboration.ended', () => {
  const end = event('ended.json');

  it('of an active collaboration disables the service and tells both', () => {
    const c = { ...activated('activated-digital-invoices-new.json'), state: 'active' as const };
    const result = run(end, new Map([[c.id, c]]));
    expect(result.outcome.kind).toBe('done');
    expect(result.topics).toEqual(['bookkeeping-invoicing.einvoice-receipt.disable', 'collaboration-ended', 'collaboration-ended']);
    expect(result.state.collaborations.get(c.id)).toMatchObject({ state: 'ended', endedAt: NOW.getTime(), nextDueAt: null });
  });

  it('of a pending collaboration sends no disable command (nothing was enabled)', () => {
    const c = activated('activated-digital-invoices-new.json');
    expect(run(end, new Map([[c.id, c]])).topics).toEqual(['collaboration-ended', 'collaboration-ended']);
  });

  it('twice: the second is skipped', () => {
    const c = { ...activated('activated-digital-invoices-new.json'), state: 'ended' as const };
    expect(run(end, new Map([[c.id, c]])).outcome.kind).toBe('skip');
  });

  it('before the activation is retried', () => {
    expect(run(end).outcome.kind).toBe('retry');
  });
});

describe('deterministic ids', () => {
  it('the same event gives the same outbox ids, another event other ids', () => {
    const a = run(event('activated-scanner-has-account.json')).state.effects.entries.map((x) => x.id);
    const b = run(event('activated-scanner-has-account.json')).state.effects.entries.map((x) => x.id);
    const c = run(event('activated-scanner-has-account.json', { id: 'other' })).state.effects.entries.map((x) => x.id);
    expect(a).toEqual(b);
    expect(a.filter((id) => c.includes(id))).toEqual([]);
  });
});

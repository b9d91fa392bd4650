/**
 * The store port's test suite: every adapter must pass it (sqlite-store.int.spec.ts,
 * postgres-store.int.spec.ts). Each test gets a fresh store: a new SQLite file, or a new
 * PostgreSQL database. Several handles on one store stand for several worker instances.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Store } from '../../src/store/store.js';
import type { Collaboration } from '../../src/store/collaboration.js';
import type { FailedFilter, FailureRecord } from '../../src/store/failed-message.js';
import { keyOf } from '../../src/store/inbox-mark.js';
import { retentionCutoff } from '../../src/store/pruning.js';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import { TABLES } from '../../src/store/tables.js';
import { startRetentionScheduler } from '../../src/maintenance/retention-scheduler.js';
import { runReminderPass } from '../../src/reminders/reminder-pass.js';
import { nextDueAt } from '../../src/domain/invitation-schedule.js';
import { Metrics } from '../../src/metrics.js';
import { createLogger } from '../../src/logger.js';
import type { ActivatedData } from '../../src/messages/incoming.js';
import { createStoreWorld, type StoreKind, type StoreWorld } from '../support/stores.js';

const DAY = 86_400_000;
const NOW = new Date('2026-11-22T09:00:00Z').getTime();
const BEFORE = retentionCutoff(NOW, 30);
const POLICY = { reminderDays: [3, 7], invitationExpiryDays: 14 };

const activation = (JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../fixtures/activated-scanner-has-account.json'), 'utf8')) as { data: ActivatedData }).data;

function collaboration(id: string, patch: Partial<Collaboration> = {}): Collaboration {
  const invitedAt = patch.invitedAt ?? NOW;
  const base = { id, state: 'pending' as const, invitationKind: 'invitation' as const, activation: { ...activation, collaborationId: id }, invitedAt, expiresAt: invitedAt + 14 * DAY, remindersSent: 0, approvedAt: null, endedAt: null };
  return { ...base, nextDueAt: nextDueAt(base, POLICY), ...patch };
}

function failure(key: string, patch: Partial<FailureRecord> = {}): FailureRecord {
  return {
    failureKey: key, origin: 'queue', messageId: `m-${key}`, source: 'urn:practice', type: 'collaboration.activated', collaborationId: 'col-1',
    exchange: 'collab.events', routingKey: 'collaboration.activated', contentType: 'application/json', headers: { 'x-trace': 'abc' },
    body: Buffer.from([0x7b, 0x00, 0xff, 0x7d]), errorClass: 'InvalidMessage', reason: 'data.taskId is required', groupKey: 'g-1', attempts: 1,
    ...patch,
  };
}

export function storeSuite(kind: StoreKind): void {
  let world: StoreWorld;
  let store: Store;
  const others: Store[] = [];
  /** Another handle on the same data: another worker instance. */
  const instance = async () => {
    const other = await world.open();
    others.push(other);
    return other;
  };

  beforeEach(async () => {
    world = await createStoreWorld(kind, 'suite');
    store = await world.open();
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    for (const other of others.splice(0)) await other.close();
    await store.close();
    await world.close();
  });

  const outboxIds = async () => (await world.query<{ id: string }>('SELECT id FROM outbox ORDER BY seq')).map((r) => r.id);
  const inboxIds = async () => (await world.query<{ id: string }>('SELECT id FROM inbox ORDER BY source, id')).map((r) => r.id);
  const count = async (table: string) => Number((await world.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${table}`))[0]!.n);

  /** Outbox rows with ids `<prefix>-<n>`, created `createdAt`; returns their seqs in order. */
  async function outboxRows(prefix: string, n: number, createdAt: number): Promise<number[]> {
    const ids = Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
    await store.transaction((tx) => tx.outbox.add(ids.map((id) => ({ id, channel: 'email', topic: 'reminder', collaborationId: 'col-1', payload: { id } })), createdAt));
    const rows = await world.query<{ seq: number }>(`SELECT seq FROM outbox WHERE id LIKE ? ORDER BY seq`, [`${prefix}-%`]);
    return rows.map((r) => Number(r.seq));
  }
  async function delivered(prefix: string, n: number, createdAt: number, doneAt: number): Promise<void> {
    const seqs = await outboxRows(prefix, n, createdAt);
    await store.transaction((tx) => tx.outbox.markDelivered(seqs, doneAt));
  }
  async function handled(source: string, ids: string[], at: number): Promise<void> {
    await store.transaction((tx) => tx.inbox.markHandled(ids.map((id) => ({ source, id, type: 'collaboration.activated' })), at));
  }

  describe('collaborations', () => {
    it('saves new and changed collaborations in one call and loads them back, activation and all', async () => {
      await store.transaction((tx) => tx.collaborations.save([collaboration('col-1'), collaboration('col-2')], NOW));
      await store.transaction(async (tx) => {
        const loaded = await tx.collaborations.load(['col-1', 'col-2', 'col-unknown']);
        expect([...loaded.keys()].sort()).toEqual(['col-1', 'col-2']);
        await tx.collaborations.save([{ ...loaded.get('col-1')!, state: 'active', approvedAt: NOW + 1, nextDueAt: null }], NOW + 1);
      });
      const loaded = await store.transaction((tx) => tx.collaborations.load(['col-1', 'col-2']));
      expect(loaded.get('col-1')).toEqual(collaboration('col-1', { state: 'active', approvedAt: NOW + 1, nextDueAt: null }));
      expect(loaded.get('col-2')).toEqual(collaboration('col-2'));
    });

    it('transition moves only from the states it expects, and stamps approval and end', async () => {
      await store.transaction((tx) => tx.collaborations.save([collaboration('col-1')], NOW));
      expect(await store.transaction((tx) => tx.collaborations.transition('col-1', ['active'], 'ended', NOW + 1))).toBe(false);
      expect(await store.transaction((tx) => tx.collaborations.transition('col-1', ['pending', 'expired'], 'active', NOW + 2))).toBe(true);
      expect(await store.transaction((tx) => tx.collaborations.transition('col-1', ['pending'], 'active', NOW + 3))).toBe(false);
      expect(await store.transaction((tx) => tx.collaborations.transition('col-1', ['active'], 'ended', NOW + 4))).toBe(true);
      const c = (await store.transaction((tx) => tx.collaborations.load(['col-1']))).get('col-1')!;
      expect(c).toMatchObject({ state: 'ended', approvedAt: NOW + 2, endedAt: NOW + 4, nextDueAt: null });
    });

    it('findDue returns pending invitations that are due, oldest first, at most the limit', async () => {
      await store.transaction((tx) =>
        tx.collaborations.save([
          collaboration('due-late', { nextDueAt: NOW - 1 }),
          collaboration('due-early', { nextDueAt: NOW - 10 }),
          collaboration('due-now', { nextDueAt: NOW }),
          collaboration('not-yet', { nextDueAt: NOW + 1 }),
          collaboration('active', { state: 'active', nextDueAt: NOW - 100 }),
        ], NOW),
      );
      const due = (limit: number) => store.transaction(async (tx) => (await tx.collaborations.findDue(NOW, limit)).map((c) => c.id));
      expect(await due(10)).toEqual(['due-early', 'due-late', 'due-now']);
      expect(await due(2)).toEqual(['due-early', 'due-late']);
    });

    it('claimReminder succeeds once for the reminder count it read', async () => {
      await store.transaction((tx) => tx.collaborations.save([collaboration('col-1', { nextDueAt: NOW })], NOW));
      const claim = () => store.transaction((tx) => tx.collaborations.claimReminder('col-1', 0, 1, NOW + 4 * DAY, NOW));
      expect(await claim()).toBe(true);
      expect(await claim()).toBe(false);
      const c = (await store.transaction((tx) => tx.collaborations.load(['col-1']))).get('col-1')!;
      expect(c).toMatchObject({ remindersSent: 1, nextDueAt: NOW + 4 * DAY });
    });

    it('list: newest invitation first, pending only on request, at most the limit', async () => {
      await store.transaction((tx) =>
        tx.collaborations.save([
          collaboration('old', { invitedAt: NOW - 2 * DAY }),
          collaboration('new', { invitedAt: NOW }),
          collaboration('mid', { invitedAt: NOW - DAY, state: 'active' }),
        ], NOW),
      );
      const list = (pendingOnly: boolean, limit = 10) => store.read(async (r) => (await r.collaborations.list({ pendingOnly, limit })).map((c) => c.id));
      expect(await list(false)).toEqual(['new', 'mid', 'old']);
      expect(await list(true)).toEqual(['new', 'old']);
      expect(await list(false, 1)).toEqual(['new']);
    });
  });

  describe('customer admins', () => {
    const admin = { id: 'adm-1', collaborationId: 'col-1', customerId: 'cust-1', email: 'karin@example.com', firstName: 'Karin', lastName: 'Berg', phone: null, tokenNonce: 'nonce', tokenHash: 'hash-1', tokenExpiresAt: NOW + DAY };

    beforeEach(async () => {
      await store.transaction(async (tx) => {
        await tx.collaborations.save([collaboration('col-1')], NOW);
        await tx.customerAdmins.insert([admin], NOW);
      });
    });

    it('are found by their collaboration, without an activation yet', async () => {
      expect(await store.transaction((tx) => tx.customerAdmins.findByCollaboration('col-1'))).toEqual({ ...admin, activatedAt: null });
      expect(await store.transaction((tx) => tx.customerAdmins.findByCollaboration('col-2'))).toBeUndefined();
    });

    it('redeem a token once, before it expires; an expired invitation takes the token with it', async () => {
      const redeem = (hash: string, at: number) => store.transaction((tx) => tx.customerAdmins.redeemToken(hash, at));
      expect(await redeem('unknown', NOW)).toBeUndefined();
      expect(await redeem('hash-1', NOW + DAY)).toBeUndefined(); // at expiry: too late
      await store.transaction((tx) => tx.customerAdmins.expireToken('col-1', NOW + 10));
      expect(await redeem('hash-1', NOW + 10)).toBeUndefined();
      expect((await store.transaction((tx) => tx.customerAdmins.findByCollaboration('col-1')))!.tokenExpiresAt).toBe(NOW + 10);
    });

    it('a token is redeemed by the first caller only', async () => {
      const redeem = () => store.transaction((tx) => tx.customerAdmins.redeemToken('hash-1', NOW + 1));
      expect(await redeem()).toBe('adm-1');
      expect(await redeem()).toBeUndefined();
      expect((await store.transaction((tx) => tx.customerAdmins.findByCollaboration('col-1')))!.activatedAt).toBe(NOW + 1);
    });
  });

  describe('inbox', () => {
    it('knows the events marked handled, by source and id', async () => {
      await handled('urn:a', ['e-1', 'e-2'], NOW);
      const found = await store.transaction((tx) =>
        tx.inbox.findHandled([{ source: 'urn:a', id: 'e-1' }, { source: 'urn:b', id: 'e-1' }, { source: 'urn:a', id: 'e-2' }, { source: 'urn:a', id: 'e-3' }]),
      );
      expect([...found].sort()).toEqual([keyOf({ source: 'urn:a', id: 'e-1' }), keyOf({ source: 'urn:a', id: 'e-2' })]);
      expect(await store.transaction((tx) => tx.inbox.findHandled([]))).toEqual(new Set());
    });
  });

  describe('outbox', () => {
    const entry = (id: string) => ({ id, channel: 'amqp' as const, topic: 'subscription.service.activate', collaborationId: 'col-1', payload: { id, n: [1, 'two'] } });

    it('adds an effect once however often it is written, due at once', async () => {
      await store.transaction((tx) => tx.outbox.add([entry('a'), entry('b')], NOW));
      await store.transaction((tx) => tx.outbox.add([entry('a')], NOW + 1));
      expect(await outboxIds()).toEqual(['a', 'b']);
      const rows = await store.transaction((tx) => tx.outbox.leaseDue(0, 10, 1000, 'host:1'));
      expect(rows.map((r) => [r.id, r.payload, r.attempts, r.createdAt, r.channel, r.topic, r.collaborationId])).toEqual([
        ['a', { id: 'a', n: [1, 'two'] }, 0, NOW, 'amqp', 'subscription.service.activate', 'col-1'],
        ['b', { id: 'b', n: [1, 'two'] }, 0, NOW, 'amqp', 'subscription.service.activate', 'col-1'],
      ]);
      expect(await store.read((r) => r.outbox.backlog())).toEqual({ pending: 2, oldestCreatedAt: NOW });
    });

    it('leases a row to one dispatcher until the lease runs out, then to the next', async () => {
      await store.transaction((tx) => tx.outbox.add([entry('a'), entry('b'), entry('c')], NOW));
      const lease = (at: number, limit = 10) => store.transaction(async (tx) => (await tx.outbox.leaseDue(at, limit, 15_000, 'host:1')).map((r) => r.id));
      expect(await lease(NOW, 2)).toEqual(['a', 'b']);
      expect(await lease(NOW)).toEqual(['c']);
      expect(await lease(NOW + 14_999)).toEqual([]);
      expect(await lease(NOW + 15_000)).toEqual(['a', 'b', 'c']);
    });

    it('writes rows leased to their writer when asked, and returns only those it wrote', async () => {
      await store.transaction((tx) => tx.outbox.add([entry('a')], NOW));
      const lease = { owner: 'host:7', until: NOW + 15_000 };
      const written = await store.transaction((tx) => tx.outbox.add([entry('a'), entry('b'), entry('c')], NOW + 1, lease));
      // 'a' was there already: someone else's to deliver, not returned.
      expect(written.map((r) => [r.id, r.payload, r.attempts, r.createdAt, r.channel, r.topic, r.collaborationId])).toEqual([
        ['b', { id: 'b', n: [1, 'two'] }, 0, NOW + 1, 'amqp', 'subscription.service.activate', 'col-1'],
        ['c', { id: 'c', n: [1, 'two'] }, 0, NOW + 1, 'amqp', 'subscription.service.activate', 'col-1'],
      ]);
      expect(await store.transaction((tx) => tx.outbox.add([entry('d')], NOW))).toEqual([]);
      // Another dispatcher gets only the unleased rows until the lease runs out.
      const leaseDue = (at: number) => store.transaction(async (tx) => (await tx.outbox.leaseDue(at, 10, 15_000, 'host:1')).map((r) => r.id));
      expect(await leaseDue(NOW + 2)).toEqual(['a', 'd']);
      expect(await leaseDue(NOW + 15_000)).toEqual(['b', 'c']);
      // The seq returned is the row's handle: recording by it works.
      await store.transaction((tx) => tx.outbox.markDelivered([written[0]!.seq], NOW + 3));
      expect(await store.read((r) => r.outbox.backlog())).toEqual({ pending: 3, oldestCreatedAt: NOW });
    });

    it('records delivery, a retry later, and giving up; support can revive what was given up', async () => {
      await store.transaction((tx) => tx.outbox.add([entry('a'), entry('b'), entry('c')], NOW));
      const [a, b, c] = await store.transaction((tx) => tx.outbox.leaseDue(NOW, 10, 15_000, 'host:1'));
      await store.transaction(async (tx) => {
        await tx.outbox.markDelivered([a!.seq], NOW + 1);
        await tx.outbox.reschedule(b!.seq, NOW + 5_000, 'Error: 451 try later');
        await tx.outbox.markUndeliverable(c!.seq, 'Error: 550 no such user');
      });
      const lease = (at: number) => store.transaction(async (tx) => (await tx.outbox.leaseDue(at, 10, 15_000, 'host:1')).map((r) => [r.id, r.attempts]));
      expect(await lease(NOW + 4_999)).toEqual([]);
      expect(await lease(NOW + 5_000)).toEqual([['b', 1]]);
      expect(await store.read((r) => r.outbox.backlog())).toEqual({ pending: 1, oldestCreatedAt: NOW });

      expect(await store.transaction((tx) => tx.outbox.revive('a', NOW + 6_000))).toBe(false); // done, not failed
      expect(await store.transaction((tx) => tx.outbox.revive('c', NOW + 6_000))).toBe(true);
      expect(await store.transaction((tx) => tx.outbox.revive('c', NOW + 6_000))).toBe(false);
      expect(await lease(NOW + 6_000)).toEqual([['c', 0]]);
      const rows = await world.query<{ id: string; status: string; attempts: number; last_error: string | null }>('SELECT id, status, attempts, last_error FROM outbox ORDER BY seq');
      expect(rows.map((r) => [r.id, r.status, Number(r.attempts), r.last_error])).toEqual([
        ['a', 'done', 1, null], ['b', 'pending', 1, 'Error: 451 try later'], ['c', 'pending', 0, 'Error: 550 no such user'],
      ]);
    });
  });

  describe('failed messages', () => {
    it('keeps one row per failure key: a second failure adds its attempts and makes it failed again', async () => {
      await store.transaction((tx) => tx.failed.record(failure('k-1', { attempts: 4 }), NOW));
      const [first] = await store.read((r) => r.failed.list());
      await store.transaction((tx) => tx.failed.setStatus(first!.id, 'requeued', 'support-anna', NOW + 1));
      await store.transaction((tx) => tx.failed.record(failure('k-1', { attempts: 4, reason: 'again', errorClass: 'RetriesExhausted' }), NOW + 2));
      const rows = await store.read((r) => r.failed.list());
      expect(rows).toEqual([{
        ...failure('k-1', { attempts: 8, reason: 'again', errorClass: 'RetriesExhausted' }),
        id: first!.id, firstFailedAt: NOW, lastFailedAt: NOW + 2, status: 'failed',
      }]);
      expect(rows[0]!.body).toEqual(Buffer.from([0x7b, 0x00, 0xff, 0x7d]));
    });

    it('lists newest first, filtered by status, reason (any case), type, group and ids', async () => {
      await store.transaction(async (tx) => {
        await tx.failed.record(failure('k-1', { reason: 'Mail server said 550', type: 'invitation', groupKey: 'g-mail' }), NOW);
        await tx.failed.record(failure('k-2'), NOW + 1);
        await tx.failed.record(failure('k-3', { reason: 'mail SERVER down', groupKey: 'g-mail' }), NOW + 1);
      });
      const ids = async (filter: FailedFilter = {}) =>
        (await store.read((r) => r.failed.list(filter))).map((m) => m.failureKey);
      expect(await ids()).toEqual(['k-3', 'k-2', 'k-1']);
      expect(await ids({ reason: 'mail server' })).toEqual(['k-3', 'k-1']);
      expect(await ids({ type: 'invitation' })).toEqual(['k-1']);
      expect(await ids({ group: 'g-mail' })).toEqual(['k-3', 'k-1']);
      const all = await store.read((r) => r.failed.list());
      expect(await ids({ ids: [all[2]!.id, all[0]!.id] })).toEqual(['k-3', 'k-1']);
      expect(await ids({ ids: [] })).toEqual([]);
      await store.transaction((tx) => tx.failed.setStatus(all[0]!.id, 'archived', 'bo', NOW + 2));
      expect(await ids({ status: ['failed'] })).toEqual(['k-2', 'k-1']);
      expect(await ids({ status: ['archived', 'requeued'] })).toEqual(['k-3']);
    });

    it('groups failed ones by group and class, largest first; counts by status; audits who did what', async () => {
      await store.transaction(async (tx) => {
        await tx.failed.record(failure('k-1', { groupKey: 'g-a', reason: 'collaboration col-1 is not known yet' }), NOW);
        await tx.failed.record(failure('k-2', { groupKey: 'g-a', reason: 'collaboration col-2 is not known yet' }), NOW + 5);
        await tx.failed.record(failure('k-3', { groupKey: 'g-b', errorClass: 'Rejected' }), NOW + 1);
        await tx.failed.record(failure('k-4', { groupKey: 'g-c' }), NOW + 2);
      });
      const [k4] = await store.read((r) => r.failed.list({ group: 'g-c' }));
      await store.transaction((tx) => tx.failed.setStatus(k4!.id, 'archived', 'support-anna', NOW + 10));
      await store.transaction((tx) => tx.failed.setStatus(k4!.id, 'failed', 'support-bo', NOW + 11));
      await store.transaction((tx) => tx.failed.setStatus(k4!.id, 'requeued', 'support-bo', NOW + 12));
      expect(await store.read((r) => r.failed.groups())).toEqual([
        { groupKey: 'g-a', errorClass: 'InvalidMessage', count: 2, lastFailedAt: NOW + 5, example: 'collaboration col-2 is not known yet' },
        { groupKey: 'g-b', errorClass: 'Rejected', count: 1, lastFailedAt: NOW + 1, example: 'data.taskId is required' },
      ]);
      expect(await store.read((r) => r.failed.countByStatus())).toEqual({ failed: 3, requeued: 1, archived: 0 });
      expect(await store.read((r) => r.failed.auditTrail(k4!.id))).toEqual([
        { action: 'archived', actor: 'support-anna', at: NOW + 10 },
        { action: 'failed', actor: 'support-bo', at: NOW + 11 },
        { action: 'requeued', actor: 'support-bo', at: NOW + 12 },
      ]);
    });
  });

  describe('archiving', () => {
    it('moves a failed message only from the status it must have, and audits only a move', async () => {
      await store.transaction((tx) => tx.failed.record(failure('k-1'), NOW));
      const [m] = await store.read((r) => r.failed.list());
      const move = (from: 'failed' | 'archived', to: 'failed' | 'archived', action: string, at: number) =>
        store.transaction((tx) => tx.failed.move(m!.id, from, to, action, 'support-anna', at));
      expect(await move('failed', 'archived', 'archived', NOW + 1)).toBe(true);
      expect(await move('failed', 'archived', 'archived', NOW + 2)).toBe(false); // twice: nothing
      expect(await move('archived', 'failed', 'unarchived', NOW + 3)).toBe(true);
      expect((await store.read((r) => r.failed.list()))[0]!.status).toBe('failed');
      expect(await store.read((r) => r.failed.auditTrail(m!.id))).toEqual([
        { action: 'archived', actor: 'support-anna', at: NOW + 1 },
        { action: 'unarchived', actor: 'support-anna', at: NOW + 3 },
      ]);
    });
  });

  describe("support's views", () => {
    it("a collaboration's timeline: found by id, customer id, org number or name; its events and what was sent", async () => {
      await store.transaction(async (tx) => {
        await tx.collaborations.save([collaboration('col-1', { invitedAt: NOW - 1 }), collaboration('col-2')], NOW);
        await tx.inbox.markHandled([
          { source: 'urn:a', id: 'e-1', type: 'collaboration.activated', collaborationId: 'col-1', outcome: 'handled' },
          { source: 'urn:a', id: 'e-2', type: 'collaboration.approved', collaborationId: 'col-2', outcome: 'skipped: not pending' },
        ], NOW);
        await tx.outbox.add([{ id: 'o-1', channel: 'email', topic: 'invitation', collaborationId: 'col-1', payload: { to: 'x' } }], NOW);
      });
      const search = (text: string) => store.read(async (r) => (await r.collaborations.search(text, 10)).map((c) => c.id));
      expect(await search('col-1')).toEqual(['col-1']);
      expect(await search(activation.customer.orgNumber)).toEqual(['col-2', 'col-1']); // newest invitation first
      // any case (SQLite's lower() folds ASCII letters only: an ASCII part of the name)
      expect(await search(activation.customer.name.slice(4, 9).toUpperCase())).toEqual(['col-2', 'col-1']);
      expect(await search('nobody')).toEqual([]);
      expect((await store.read((r) => r.collaborations.find('col-2')))?.id).toBe('col-2');
      expect(await store.read((r) => r.collaborations.find('col-9'))).toBeUndefined();
      expect(await store.read((r) => r.inbox.receivedEvents('col-2'))).toEqual([
        { source: 'urn:a', id: 'e-2', type: 'collaboration.approved', handledAt: NOW, outcome: 'skipped: not pending' },
      ]);
      expect(await store.read((r) => r.outbox.sentFor('col-1'))).toEqual([
        { id: 'o-1', channel: 'email', topic: 'invitation', status: 'pending', attempts: 0, lastError: null, createdAt: NOW, doneAt: null, payload: { to: 'x' } },
      ]);
    });

    it('an activation link is found by its hash with its invitation, and marked activated once; the audit log pages backwards', async () => {
      await store.transaction(async (tx) => {
        await tx.collaborations.save([collaboration('col-1')], NOW);
        await tx.customerAdmins.insert([{
          id: 'adm-1', collaborationId: 'col-1', customerId: 'cust-1', email: 'k@example.com', firstName: 'K', lastName: 'B', phone: null,
          tokenNonce: 'n', tokenHash: 'hash-1', tokenExpiresAt: NOW + DAY,
        }], NOW);
        for (let i = 1; i <= 3; i++) await tx.auditLog.add({ actor: 'user:anna', action: `act-${i}`, target: i === 1 ? null : `failed:${i}` }, NOW + i);
      });
      expect(await store.read((r) => r.customerAdmins.findByTokenHash('hash-1'))).toEqual({
        id: 'adm-1', collaborationId: 'col-1', customerId: 'cust-1', email: 'k@example.com', firstName: 'K', lastName: 'B',
        tokenExpiresAt: NOW + DAY, activatedAt: null, collaborationState: 'pending', invitationExpiresAt: NOW + 14 * DAY,
      });
      expect(await store.read((r) => r.customerAdmins.findByTokenHash('nope'))).toBeUndefined();
      expect(await store.transaction((tx) => tx.customerAdmins.markActivated('adm-1', NOW + 5))).toBe(true);
      expect(await store.transaction((tx) => tx.customerAdmins.markActivated('adm-1', NOW + 6))).toBe(false);
      const page = await store.read((r) => r.auditLog.list(undefined, 2));
      expect(page.map((e) => [e.action, e.actor, e.target ?? null, e.detail ?? null, e.at])).toEqual([['act-3', 'user:anna', 'failed:3', null, NOW + 3], ['act-2', 'user:anna', 'failed:2', null, NOW + 2]]);
      expect((await store.read((r) => r.auditLog.list(page[1]!.id, 2))).map((e) => e.action)).toEqual(['act-1']);
    });

    it('failed messages: filtered pages newest first with a cursor, counts, ids oldest first, group spans with their types', async () => {
      await store.transaction(async (tx) => {
        await tx.failed.record(failure('k-1', { type: 'collaboration.approved', groupKey: 'g-a', collaborationId: 'col-9' }), NOW);
        await tx.failed.record(failure('k-2', { type: 'collaboration.activated', groupKey: 'g-a', messageId: 'ev-2' }), NOW + 1);
        await tx.failed.record(failure('k-3', { groupKey: 'g-b', reason: 'Mail Server said no' }), NOW + 2);
        await tx.failed.record(failure('k-4', { groupKey: 'g-b' }), NOW + 2);
      });
      const keys = (rows: { failureKey: string }[]) => rows.map((m) => m.failureKey);
      const first = await store.read((r) => r.failed.findPage({}, undefined, 2));
      expect(keys(first)).toEqual(['k-4', 'k-3']);
      const last = first.at(-1)!;
      expect(keys(await store.read((r) => r.failed.findPage({}, { lastFailedAt: last.lastFailedAt, id: last.id }, 5)))).toEqual(['k-2', 'k-1']);
      expect(keys(await store.read((r) => r.failed.findPage({ group: 'g-a', from: NOW + 1 }, undefined, 5)))).toEqual(['k-2']);
      expect(keys(await store.read((r) => r.failed.findPage({ reason: 'mail server', to: NOW + 3 }, undefined, 5)))).toEqual(['k-3']);
      expect(keys(await store.read((r) => r.failed.findPage({ collaborationId: 'col-9' }, undefined, 5)))).toEqual(['k-1']);
      expect(keys(await store.read((r) => r.failed.findPage({ eventId: 'ev-2', status: ['failed'] }, undefined, 5)))).toEqual(['k-2']);
      expect(await store.read((r) => r.failed.count({ group: 'g-b' }))).toBe(2);
      const all = await store.read((r) => r.failed.list());
      const idOf = (key: string) => all.find((m) => m.failureKey === key)!.id;
      expect(await store.read((r) => r.failed.ids({}))).toEqual(['k-1', 'k-2', 'k-3', 'k-4'].map(idOf));
      expect(await store.read((r) => r.failed.groupSpans())).toEqual([
        { groupKey: 'g-b', errorClass: 'InvalidMessage', count: 2, firstFailedAt: NOW + 2, lastFailedAt: NOW + 2, example: 'data.taskId is required', types: ['collaboration.activated'] },
        { groupKey: 'g-a', errorClass: 'InvalidMessage', count: 2, firstFailedAt: NOW, lastFailedAt: NOW + 1, example: 'data.taskId is required', types: ['collaboration.activated', 'collaboration.approved'] },
      ]);
    });
  });

  describe('the reminder dry run', () => {
    it('walks the due invitations a page at a time in (next_due_at, id) order, holding nothing', async () => {
      await store.transaction((tx) =>
        tx.collaborations.save([
          collaboration('b', { nextDueAt: NOW - 5 }),
          collaboration('a', { nextDueAt: NOW - 5 }),
          collaboration('c', { nextDueAt: NOW - 9 }),
          collaboration('d', { nextDueAt: NOW + 1 }),
          collaboration('e', { nextDueAt: NOW - 1, state: 'active' }),
        ], NOW),
      );
      const page = (after?: Collaboration) => store.read(async (r) => (await r.collaborations.listDue(NOW, after && { nextDueAt: after.nextDueAt!, id: after.id }, 2)));
      const first = await page();
      expect(first.map((c) => c.id)).toEqual(['c', 'a']);
      expect((await page(first.at(-1))).map((c) => c.id)).toEqual(['b']);
    });
  });

  describe('requeues', () => {
    it('mark a message requeued unless it failed again since; what became of it goes in its audit trail', async () => {
      await store.transaction((tx) => tx.failed.record(failure('k-1'), NOW));
      const [m] = await store.read((r) => r.failed.list());
      expect(await store.transaction((tx) => tx.failed.markRequeued(m!.id, 1, 'support-anna', NOW + 1))).toBe(true);
      expect((await store.read((r) => r.failed.list()))[0]!.status).toBe('requeued');

      await store.transaction((tx) => tx.failed.record(failure('k-1', { requeuedFrom: m!.id }), NOW + 2));
      // read before the failure above: its attempts are out of date, so the newer `failed` stays
      expect(await store.transaction((tx) => tx.failed.markRequeued(m!.id, 1, 'support-bo', NOW + 3))).toBe(false);
      expect((await store.read((r) => r.failed.list()))[0]).toMatchObject({ status: 'failed', attempts: 2 });

      await store.transaction(async (tx) => {
        await tx.failed.recordRequeueOutcome(m!.id, 'handled', NOW + 4);
        await tx.failed.recordRequeueOutcome(m!.id + 1000, 'handled', NOW + 4); // no such message: nothing
      });
      expect(await store.read((r) => r.failed.auditTrail(m!.id))).toEqual([
        { action: 'requeued', actor: 'support-anna', at: NOW + 1 },
        { action: 'failed again', actor: 'worker', at: NOW + 2 },
        { action: 'requeued', actor: 'support-bo', at: NOW + 3 },
        { action: 'handled', actor: 'worker', at: NOW + 4 },
      ]);
      expect(await count('failed_message_audit')).toBe(4);
    });
  });

  describe('copying', () => {
    it('the tables hold exactly the columns store copy moves (tables.ts), in both adapters', async () => {
      for (const table of TABLES) {
        const columns =
          kind === 'sqlite'
            ? (await world.query<{ name: string }>(`SELECT name FROM pragma_table_info('${table.name}')`)).map((c) => c.name)
            : (await world.query<{ name: string }>(
                'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position',
                [table.name],
              )).map((c) => c.name);
        expect(columns.sort(), table.name).toEqual(Object.keys(table.columns).sort());
      }
    });

    it('exports every row and imports them into an empty store, numbered ids kept and counters moved past them', async () => {
      await store.transaction(async (tx) => {
        await tx.collaborations.save([collaboration('col-1'), collaboration('col-2')], NOW);
        await tx.outbox.add([{ id: 'o-1', channel: 'email', topic: 'invitation', collaborationId: 'col-1', payload: { a: 1 } }], NOW);
        await tx.failed.record(failure('k-1'), NOW);
      });
      const [m] = await store.read((r) => r.failed.list());
      await store.transaction((tx) => tx.failed.setStatus(m!.id, 'archived', 'anna', NOW + 1));
      const other = await createStoreWorld(kind, 'copy');
      try {
        const target = await other.open();
        try {
          await target.importRows((write) => store.exportRows(write));
          expect(await target.counts()).toEqual(await store.counts());
          expect(await target.read((r) => r.failed.list())).toEqual(await store.read((r) => r.failed.list()));
          expect(await target.read((r) => r.failed.auditTrail(m!.id))).toEqual([{ action: 'archived', actor: 'anna', at: NOW + 1 }]);
          await target.transaction((tx) => tx.failed.record(failure('k-2'), NOW + 2));
          const ids = (await target.read((r) => r.failed.list())).map((f) => f.id);
          expect(ids[0]).toBeGreaterThan(m!.id);
        } finally {
          await target.close();
        }
      } finally {
        await other.close();
      }
    });
  });

  describe('transactions', () => {
    it('are all or nothing: a failing one leaves nothing behind', async () => {
      await expect(
        store.transaction(async (tx) => {
          await tx.collaborations.save([collaboration('col-1')], NOW);
          await tx.outbox.add([{ id: 'o-1', channel: 'email', topic: 'invitation', collaborationId: 'col-1', payload: {} }], NOW);
          throw new Error('handler bug');
        }),
      ).rejects.toThrow('handler bug');
      expect([await count('collaborations'), await count('outbox')]).toEqual([0, 0]);
    });

    it('say the store is reachable, and an ordinary error is not an outage', async () => {
      expect(store.reachable).toBe(true);
      await store.whenReachable();
      expect(store.isUnreachable(new Error('no such column: x'))).toBe(false);
    });
  });

  describe('several instances on one database', () => {
    it('dispatchers of two instances lease disjoint rows', async () => {
      const ids = Array.from({ length: 300 }, (_, i) => `o-${i}`);
      await store.transaction((tx) => tx.outbox.add(ids.map((id) => ({ id, channel: 'email', topic: 'invitation', collaborationId: null, payload: {} })), NOW));
      const other = await instance();
      const leaseAll = async (s: Store, owner: string) => {
        const got: string[] = [];
        for (;;) {
          const rows = await s.transaction((tx) => tx.outbox.leaseDue(NOW, 7, 15_000, owner));
          if (rows.length === 0) return got;
          got.push(...rows.map((r) => r.id));
        }
      };
      const [a, b] = await Promise.all([leaseAll(store, 'host-a:1'), leaseAll(other, 'host-b:1')]);
      // every row once: none leased by both (how they share depends on the store; see postgres-instances)
      expect([...a, ...b].sort()).toEqual([...ids].sort());
    });

    it('concurrent intake transactions create each collaboration once and mark each event once', async () => {
      // Three instances, each handling batches that overlap: a batch creates the collaborations
      // it does not find, with an inbox mark per creation. A clash is run again and then finds
      // the other's row; what committed must add up exactly.
      const instances = [store, await instance(), await instance()];
      const ids = Array.from({ length: 60 }, (_, i) => `col-${i}`);
      const created: string[] = [];
      let runs = 0;
      await Promise.all(
        instances.map(async (s, n) => {
          for (let batch = 0; batch < 12; batch++) {
            const picked = Array.from({ length: 10 }, (_, i) => ids[(batch * 7 + i * (n + 1) * 3) % ids.length]!);
            const mine = await s.transaction(async (tx) => {
              runs++;
              const found = await tx.collaborations.load([...new Set(picked)]);
              const fresh = [...new Set(picked)].filter((id) => !found.has(id));
              await tx.collaborations.save(fresh.map((id) => collaboration(id)), NOW);
              await tx.inbox.markHandled(fresh.map((id) => ({ source: 'urn:test', id: `create-${id}`, type: 'collaboration.activated' })), NOW);
              return fresh;
            });
            created.push(...mine);
          }
        }),
      );
      expect(new Set(created).size).toBe(created.length); // nobody created one twice
      expect(await count('collaborations')).toBe(created.length);
      expect(await count('inbox')).toBe(created.length);
      expect(runs).toBeGreaterThanOrEqual(36);
    });

    it('three reminder passes at the same instant send each reminder once', async () => {
      const due = Array.from({ length: 240 }, (_, i) => collaboration(`col-${String(i).padStart(3, '0')}`, { invitedAt: NOW - 3 * DAY - i }));
      await store.transaction((tx) => tx.collaborations.save(due, NOW));
      const passes = await Promise.all(
        [store, await instance(), await instance()].map((s) => runReminderPass(s, POLICY, new Date(NOW), createLogger('silent'), 25)),
      );
      const reminded = passes.flatMap((p) => p.reminders.map((r) => `${r.collaborationId}#${r.number}`));
      expect(reminded.sort()).toEqual(due.map((c) => `${c.id}#1`).sort());
      expect(Number((await world.query<{ n: number }>(`SELECT COUNT(*) AS n FROM outbox WHERE topic = 'reminder'`))[0]!.n)).toBe(240);
      const again = await runReminderPass(store, POLICY, new Date(NOW), createLogger('silent'));
      expect(again).toEqual({ reminders: [], expired: [] });
    });
  });

  describe('retention', () => {
    it('deletes done outbox rows and inbox marks older than the cut-off, and nothing else', async () => {
      await delivered('old-done', 3, NOW - 40 * DAY, NOW - 35 * DAY);
      await delivered('at-cutoff', 1, NOW - 40 * DAY, BEFORE);
      await delivered('recent-done', 2, NOW - 40 * DAY, NOW - DAY);
      await outboxRows('old-pending', 2, NOW - 40 * DAY);
      const [failedSeq] = await outboxRows('old-failed', 1, NOW - 40 * DAY);
      await store.transaction((tx) => tx.outbox.markUndeliverable(failedSeq!, '550 no such user'));

      // old and recent marks interleaved in key order
      await handled('urn:practice', ['e-1', 'e-3', 'e-5'], NOW - 31 * DAY);
      await handled('urn:practice', ['e-2', 'e-4'], NOW - 29 * DAY);
      await handled('urn:advisor', ['a-1'], NOW - 365 * DAY);
      await handled('urn:advisor', ['a-2'], BEFORE);

      await store.transaction(async (tx) => {
        await tx.collaborations.save([collaboration('col-1', { state: 'ended', invitedAt: NOW - 400 * DAY, nextDueAt: null, endedAt: NOW - 380 * DAY })], NOW - 380 * DAY);
        await tx.customerAdmins.insert([{
          id: 'adm-1', collaborationId: 'col-1', customerId: 'cust-1', email: 'a@b.example', firstName: 'A', lastName: 'B', phone: null,
          tokenNonce: 'n', tokenHash: 'h', tokenExpiresAt: NOW - 386 * DAY,
        }], NOW - 400 * DAY);
        await tx.failed.record(failure('k-1'), NOW - 400 * DAY);
      });

      expect(await store.prune(BEFORE)).toEqual({ outbox: 3, inbox: 4 });

      expect(await outboxIds()).toEqual(['at-cutoff-0', 'recent-done-0', 'recent-done-1', 'old-pending-0', 'old-pending-1', 'old-failed-0']);
      expect(await inboxIds()).toEqual(['a-2', 'e-2', 'e-4']);
      expect([await count('collaborations'), await count('customer_admins'), await count('failed_messages')]).toEqual([1, 1, 1]);

      // a second run finds nothing more
      expect(await store.prune(BEFORE)).toEqual({ outbox: 0, inbox: 0 });
    });

    it('works through more rows than one chunk, a chunk per transaction', async () => {
      // old and recent rows alternate, so every chunk holds both
      for (let i = 0; i < 10; i++) {
        await delivered(`old-${i}`, 5, NOW - 40 * DAY, NOW - 35 * DAY);
        await delivered(`new-${i}`, 2, NOW - 2 * DAY, NOW - DAY);
        await outboxRows(`pending-${i}`, 1, NOW - 40 * DAY);
      }
      const ids = Array.from({ length: 230 }, (_, n) => `ev-${String(n).padStart(3, '0')}`);
      await handled('urn:practice', ids.filter((_, n) => n % 3 !== 0), NOW - 60 * DAY);
      await handled('urn:practice', ids.filter((_, n) => n % 3 === 0), NOW - DAY);

      const transactions = countTransactions(store);
      expect(await store.prune(BEFORE, { chunkSize: 7 })).toEqual({ outbox: 50, inbox: 153 });
      expect(await count('outbox')).toBe(30);
      expect(await world.query(`SELECT id FROM outbox WHERE status = 'done' AND done_at < ?`, [BEFORE])).toEqual([]);
      expect(await inboxIds()).toEqual(ids.filter((_, n) => n % 3 === 0));
      // 80 outbox rows and 230 marks in windows of 7
      expect(transactions()).toBe(Math.ceil(80 / 7) + Math.ceil(230 / 7));
    });

    it('stops after the chunk in progress when asked to', async () => {
      await delivered('old', 20, NOW - 40 * DAY, NOW - 35 * DAY);
      await handled('urn:practice', ['e-1'], NOW - 40 * DAY);
      const stop = new AbortController();
      countTransactions(store, () => stop.abort());
      expect(await store.prune(BEFORE, { chunkSize: 5, signal: stop.signal })).toEqual({ outbox: 5, inbox: 0 });
      expect(await count('outbox')).toBe(15);
    });

    it('refuses a chunk size that is not a positive whole number', async () => {
      await expect(store.prune(BEFORE, { chunkSize: 0 })).rejects.toThrow(/chunkSize/);
    });
  });

  describe('the retention scheduler', () => {
    function capture() {
      const lines: Record<string, unknown>[] = [];
      const stream = new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
          done();
        },
      });
      return { lines, log: createLogger('info', stream) };
    }

    it('prunes what is older than RETENTION_DAYS, counts it and logs one line', async () => {
      await delivered('old', 4, NOW - 40 * DAY, NOW - 11 * DAY);
      await delivered('new', 1, NOW - 40 * DAY, NOW - 9 * DAY);
      await handled('urn:practice', ['e-1', 'e-2'], NOW - 11 * DAY);
      const { lines, log } = capture();
      const metrics = new Metrics();
      const scheduler = startRetentionScheduler({ store, days: 10, schedule: '30 3 * * *', clock: () => new Date(NOW), log, metrics, chunkSize: 2 })!;
      try {
        expect(await scheduler.runNow()).toEqual({ outbox: 4, inbox: 2 });
      } finally {
        await scheduler.stop();
      }
      expect(await outboxIds()).toEqual(['new-0']);
      const metric = await metrics.registry.getSingleMetricAsString('collab_pruned_rows_total');
      expect(metric).toContain('collab_pruned_rows_total{table="outbox"} 4');
      expect(metric).toContain('collab_pruned_rows_total{table="inbox"} 2');
      await new Promise((resolve) => setImmediate(resolve));
      expect(lines.filter((l) => l.msg === 'pruned done outbox rows and inbox marks')).toEqual([
        expect.objectContaining({ level: 30, outbox: 4, inbox: 2, before: new Date(NOW - 10 * DAY).toISOString() }),
      ]);
    });

    it('logs a failed run instead of throwing', async () => {
      const { lines, log } = capture();
      const scheduler = startRetentionScheduler({ store, days: 10, schedule: '30 3 * * *', clock: () => new Date(NOW), log, metrics: new Metrics() })!;
      await handled('urn:practice', ['e-1'], NOW - 11 * DAY);
      await world.exec(
        kind === 'sqlite'
          ? `CREATE TRIGGER keep_marks BEFORE DELETE ON inbox BEGIN SELECT RAISE(ABORT, 'marks are kept'); END`
          : `CREATE FUNCTION keep_marks() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'marks are kept'; END $$;
             CREATE TRIGGER keep_marks BEFORE DELETE ON inbox FOR EACH ROW EXECUTE FUNCTION keep_marks()`,
      );
      expect(await scheduler.runNow()).toBeUndefined();
      await scheduler.stop();
      await new Promise((resolve) => setImmediate(resolve));
      expect(lines.some((l) => l.level === 50 && l.msg === 'pruning failed; the next run tries again')).toBe(true);
    });

    it('is not started when RETENTION_DAYS is 0', async () => {
      await delivered('old', 1, NOW - 400 * DAY, NOW - 400 * DAY);
      const { log } = capture();
      expect(startRetentionScheduler({ store, days: 0, schedule: '30 3 * * *', clock: () => new Date(NOW), log, metrics: new Metrics() })).toBeUndefined();
      expect(await count('outbox')).toBe(1);
    });

    it('refuses a schedule that is not cron, naming the variable', () => {
      const { log } = capture();
      expect(() => startRetentionScheduler({ store, days: 30, schedule: 'daily', clock: () => new Date(NOW), log, metrics: new Metrics() })).toThrow(
        'RETENTION_SCHEDULE="daily" is not a valid cron expression',
      );
    });
  });

  /**
   * Counts the store's committed transactions from now on (SQLite: its transaction calls;
   * PostgreSQL: COMMIT statements), calling `onCommit` after each.
   */
  function countTransactions(s: Store, onCommit: () => void = () => undefined): () => number {
    let n = 0;
    if (s instanceof SqliteStore) {
      const transaction = s.db.transaction.bind(s.db);
      vi.spyOn(s.db, 'transaction').mockImplementation((fn) =>
        transaction(async (sql) => {
          const result = await fn(sql);
          n++;
          onCommit();
          return result;
        }),
      );
    } else {
      const query = pg.Client.prototype.query;
      vi.spyOn(pg.Client.prototype, 'query').mockImplementation(function (this: pg.Client, ...args: unknown[]) {
        const result = (query as (...a: unknown[]) => unknown).apply(this, args);
        if (args[0] === 'COMMIT') {
          n++;
          onCommit();
        }
        return result as never;
      });
    }
    return () => n;
  }
}

/**
 * `npm run cli -- prune` against a real store, SQLite and PostgreSQL, run as a user runs it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { STORE_KINDS, createStoreWorld, type StoreWorld } from '../support/stores.js';

const DAY = 86_400_000;

let world: StoreWorld;

async function seed(): Promise<void> {
  const store = await world.open();
  try {
    const now = Date.now();
    // done 40 and 10 days ago, one still pending; marks of 40 and 10 days ago
    await store.transaction(async (tx) => {
      const entries = ['done-40', 'done-10', 'pending'].map((id) => ({ id, channel: 'email' as const, topic: 'reminder', collaborationId: null, payload: {} }));
      await tx.outbox.add(entries, now - 41 * DAY);
      await tx.inbox.markHandled([{ source: 'urn:practice', id: 'e-40', type: 'collaboration.activated' }], now - 40 * DAY);
      await tx.inbox.markHandled([{ source: 'urn:practice', id: 'e-10', type: 'collaboration.activated' }], now - 10 * DAY);
    });
    const rows = await store.transaction((tx) => tx.outbox.leaseDue(now, 10, 1000, 'test:1'));
    const seq = (id: string) => rows.find((r) => r.id === id)!.seq;
    await store.transaction((tx) => tx.outbox.markDelivered([seq('done-40')], now - 40 * DAY));
    await store.transaction((tx) => tx.outbox.markDelivered([seq('done-10')], now - 10 * DAY));
  } finally {
    await store.close();
  }
}

async function remaining(): Promise<{ outbox: string[]; inbox: string[] }> {
  const outbox = (await world.query<{ id: string }>('SELECT id FROM outbox ORDER BY seq')).map((r) => r.id);
  const inbox = (await world.query<{ id: string }>('SELECT id FROM inbox ORDER BY id')).map((r) => r.id);
  return { outbox, inbox };
}

describe.each(STORE_KINDS)('with the %s store', (kind) => {
  beforeEach(async () => {
    world = await createStoreWorld(kind, 'prune');
    await seed();
  });
  afterEach(() => world.close());

  describe('cli prune', () => {
    it('deletes what is older than RETENTION_DAYS, or --older-than-days, and says what it deleted', async () => {
      const first = await runCli(['prune'], world.env);
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(/^deleted 1 done outbox rows and 1 inbox marks older than 30 days \(before \d{4}-\d\d-\d\dT/);
      expect(await remaining()).toEqual({ outbox: ['done-10', 'pending'], inbox: ['e-10'] });

      const second = await runCli(['prune', '--older-than-days', '5', '--json'], { ...world.env, RETENTION_DAYS: '0' });
      expect(second.code).toBe(0);
      expect(JSON.parse(second.stdout)).toMatchObject({ days: 5, outbox: 1, inbox: 1 });
      expect(await remaining()).toEqual({ outbox: ['pending'], inbox: [] });
    });

    it('deletes nothing when RETENTION_DAYS is 0, and refuses a bad --older-than-days', async () => {
      const off = await runCli(['prune'], { ...world.env, RETENTION_DAYS: '0' });
      expect(off.code).toBe(0);
      expect(off.stdout).toContain('retention is off (RETENTION_DAYS=0): nothing deleted');

      const bad = await runCli(['prune', '--older-than-days', '0'], world.env);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('--older-than-days "0" is not a whole number of days ≥ 1');
      expect((await remaining()).outbox).toHaveLength(3);
    });
  });
});

/**
 * What only the PostgreSQL adapter has to do, for several instances on several machines:
 * migrate once when many start at once, wake each other's dispatchers, prune one at a time,
 * notice a lost database and its return, and say which setting is wrong when it cannot connect.
 */
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { openStore } from '../../src/store/open-store.js';
import { LOCKS } from '../../src/store/postgres/locks.js';
import { SCHEMA_VERSION } from '../../src/store/postgres/migrations.js';
import { createStoreWorld, type StoreWorld } from '../support/stores.js';
import { allowConnections, terminateConnections } from '../support/postgres.js';
import { runCli } from '../support/cli.js';
import { waitFor } from '../support/wait.js';

let world: StoreWorld;
const opened: Store[] = [];
const open = async () => {
  const store = await world.open();
  opened.push(store);
  return store;
};

beforeEach(async () => {
  world = await createStoreWorld('postgres', 'instances');
});
afterEach(async () => {
  await allowConnections(world.database!.name, true);
  for (const store of opened.splice(0)) await store.close();
  await world.close();
});

describe('PostgreSQL with several instances', () => {
  it('ten instances starting at once migrate once, and none fails', async () => {
    const stores = await Promise.all(Array.from({ length: 10 }, () => open()));
    expect(stores).toHaveLength(10);
    const versions = await world.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(versions.map((v) => v.version)).toEqual(Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
  });

  it('a dispatcher skips the rows another holds, without waiting for it', async () => {
    const [a, b] = [await open(), await open()];
    const entries = Array.from({ length: 10 }, (_, i) => ({ id: `o-${i}`, channel: 'email' as const, topic: 'invitation', collaborationId: null, payload: {} }));
    await a.transaction((tx) => tx.outbox.add(entries, 1));
    const [first, second] = await a.transaction(async (tx) => {
      const held = await tx.outbox.leaseDue(1, 4, 15_000, 'host-a:1');
      // still uncommitted here: b's lease must take other rows, and at once
      const other = await b.transaction((tx2) => tx2.outbox.leaseDue(1, 10, 15_000, 'host-b:1'));
      return [held.map((r) => r.id), other.map((r) => r.id)];
    });
    expect(first).toHaveLength(4);
    expect(second).toHaveLength(6);
    expect([...first, ...second].sort()).toEqual(entries.map((e) => e.id).sort());
  });

  it("a commit of outbox rows on one instance wakes the other's listeners", async () => {
    const [a, b] = [await open(), await open()];
    let woken = 0;
    const unsubscribe = b.onOutboxAdded(() => woken++);
    // it is called once when listening starts (rows may have come before)
    await waitFor(() => woken === 1, 'the listener to start');
    await a.transaction((tx) => tx.outbox.add([{ id: 'o-1', channel: 'email', topic: 'invitation', collaborationId: null, payload: {} }], 1));
    await waitFor(() => woken === 2, 'the notification');
    unsubscribe();
    let other = 0;
    b.onOutboxAdded(() => other++);
    await a.transaction((tx) => tx.outbox.add([{ id: 'o-2', channel: 'email', topic: 'invitation', collaborationId: null, payload: {} }], 1));
    await waitFor(() => other === 1, 'the second listener');
    expect(woken).toBe(2); // unsubscribed: not called again
  });

  it('prunes in one instance at a time', async () => {
    const store = await open();
    const holder = new pg.Client({ connectionString: world.settings.databaseUrl });
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock($1)', [LOCKS.retention]);
      expect(await store.prune(Date.now())).toBeUndefined();
      const cli = await runCli(['prune'], world.env);
      expect(cli.code).toBe(1);
      expect(cli.stderr).toContain('another instance is pruning right now (one at a time)');
      await holder.query('SELECT pg_advisory_unlock($1)', [LOCKS.retention]);
      expect(await store.prune(Date.now())).toEqual({ outbox: 0, inbox: 0 });
    } finally {
      await holder.end();
    }
  });

  it('notices the database gone (connections cut, new ones refused) and waits for it to come back', async () => {
    const store = await open();
    await store.read((r) => r.outbox.backlog());
    const back = Promise.race([store.whenReachable().then(() => 'reachable'), new Promise((resolve) => setImmediate(() => resolve('pending')))]);
    expect(await back).toBe('reachable');

    await allowConnections(world.database!.name, false);
    expect(await terminateConnections(world.database!.name)).toBeGreaterThan(0);
    const failure = await store.transaction((tx) => tx.outbox.backlog()).catch((err: unknown) => err);
    expect(store.isUnreachable(failure)).toBe(true);
    expect(store.reachable).toBe(false);
    let returned = false;
    const waiting = store.whenReachable().then(() => (returned = true));

    await allowConnections(world.database!.name, true);
    await waiting;
    expect(returned).toBe(true);
    expect(store.reachable).toBe(true);
    expect(await store.read((r) => r.outbox.backlog())).toEqual({ pending: 0, oldestCreatedAt: null });
  });

  it('a database that cannot be reached at start is an error naming DATABASE_URL, with the password masked', async () => {
    const url = new URL(world.settings.databaseUrl!);
    const refused = `postgres://collab:s3cret@127.0.0.1:1/${url.pathname.slice(1)}`;
    await expect(openStore({ databasePath: '', databaseUrl: refused })).rejects.toThrow(/^DATABASE_URL=postgres:\/\/collab:\*\*\*@127\.0\.0\.1:1\/\S+: could not connect: .*ECONNREFUSED/);
    const wrongUser = new URL(url);
    wrongUser.username = 'nobody_here';
    await expect(openStore({ databasePath: '', databaseUrl: wrongUser.toString() })).rejects.toThrow(/^DATABASE_URL=.*: could not connect: role "nobody_here" does not exist/);
    const noDatabase = new URL(url);
    noDatabase.pathname = '/no_such_database';
    await expect(openStore({ databasePath: '', databaseUrl: noDatabase.toString() })).rejects.toThrow(/could not connect: database "no_such_database" does not exist/);
  });
});

import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Session } from 'fastify';
import { IdleSessionStore } from '../../src/http/support/session-store.js';

const session = (expiresInMs: number) => ({ cookie: { expires: new Date(Date.now() + expiresInMs) } }) as unknown as Session;
const get = (store: IdleSessionStore, id: string) => new Promise((resolve) => store.get(id, (_err, s) => resolve(s)));

afterEach(() => vi.useRealTimers());

describe('console session store', () => {
  it('forgets a session once it is idle past its expiry, also when nobody asks for it again', async () => {
    vi.useFakeTimers();
    const store = new IdleSessionStore(60_000);
    store.set('a', session(60_000), () => undefined);
    store.set('b', session(60_000), () => undefined);
    expect(await get(store, 'a')).toBeTruthy();
    vi.advanceTimersByTime(61_000); // the sweep runs every minute
    expect(store.size).toBe(0);
    expect(await get(store, 'a')).toBeNull();
    store.close();
  });

  it('holds at most max sessions, dropping the least recently saved', async () => {
    const store = new IdleSessionStore(60_000, 2);
    for (const id of ['a', 'b', 'c']) store.set(id, session(60_000), () => undefined);
    expect(store.size).toBe(2);
    expect(await get(store, 'a')).toBeNull();
    expect(await get(store, 'c')).toBeTruthy();
    store.close();
  });
});

/**
 * Taking back the outbox leases of worker processes that are gone. A SQLite file lives on one
 * machine, so every worker sharing it runs on this host and its lease owner (`<host>:<pid>`)
 * says whether it is still alive: a restarted worker need not wait for the lease to run out.
 */
import os from 'node:os';
import type { Database } from './database.js';
import { leaseOwners, releaseLeases } from './outbox.js';
import type { TakenBackLeases } from '../store.js';

export async function takeBackLeases(db: Database, now: number): Promise<TakenBackLeases[]> {
  const host = os.hostname();
  const taken: TakenBackLeases[] = [];
  for (const owner of await leaseOwners(db, now)) {
    const at = owner.lastIndexOf(':');
    const [ownerHost, pid] = [owner.slice(0, at), Number(owner.slice(at + 1))];
    if (ownerHost !== host || pid === process.pid || isAlive(pid)) continue;
    taken.push({ owner, released: await db.transaction((sql) => releaseLeases(sql, owner)) });
  }
  return taken;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

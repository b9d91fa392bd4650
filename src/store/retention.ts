/**
 * Retention: forgets what no longer needs remembering, so the file stops growing. Done outbox
 * rows delivered before a cut-off and inbox marks of events handled before it are deleted;
 * pending and failed outbox rows stay whatever their age, and so does every other table.
 *
 * Neither table has an index on these times (one on the inbox would cost every ingested event a
 * B-tree insert), so each table is walked in key order a window of `chunkSize` rows at a time,
 * each window in its own short transaction. A window's cost is bounded by the rows it looks at,
 * however few of them are old, and the consumer's batches get the write lock between two windows.
 */
import type { Database } from './database.js';
import type { EventKey } from './inbox.js';

/** Rows looked at (so at most deleted) in one transaction. */
export const PRUNE_CHUNK = 5_000;

const DAY_MS = 86_400_000;

/** The cut-off for keeping `days` days: what is older goes. */
export function retentionCutoff(now: number, days: number): number {
  return now - days * DAY_MS;
}

export interface PruneOptions {
  chunkSize?: number;
  /** Stops after the window in progress (shutdown); the next run takes up what is left. */
  signal?: AbortSignal;
}

export interface Pruned {
  outbox: number;
  inbox: number;
}

export async function pruneOld(db: Database, before: number, { chunkSize = PRUNE_CHUNK, signal }: PruneOptions = {}): Promise<Pruned> {
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunkSize must be a whole number ≥ 1, not ${chunkSize}`);
  const outbox = await pruneOutbox(db, before, chunkSize, signal);
  const inbox = await pruneInbox(db, before, chunkSize, signal);
  return { outbox, inbox };
}

async function pruneOutbox(db: Database, before: number, chunkSize: number, signal: AbortSignal | undefined): Promise<number> {
  let deleted = 0;
  let after = 0; // seq starts at 1
  while (!signal?.aborted) {
    const window = await db.transaction(async (sql) => {
      const end = await sql.get<{ seq: number }>(`SELECT seq FROM outbox WHERE seq > ? ORDER BY seq LIMIT 1 OFFSET ?`, [after, chunkSize - 1]);
      // The last window is open-ended: rows added meanwhile are new, the condition keeps them.
      const { changes } = await sql.run(
        `DELETE FROM outbox WHERE seq > ? AND seq <= ? AND status = 'done' AND done_at < ?`,
        [after, end?.seq ?? Number.MAX_SAFE_INTEGER, before],
      );
      return { changes, end: end?.seq };
    });
    deleted += window.changes;
    if (window.end === undefined) break;
    after = window.end;
  }
  return deleted;
}

async function pruneInbox(db: Database, before: number, chunkSize: number, signal: AbortSignal | undefined): Promise<number> {
  let deleted = 0;
  let after: EventKey | undefined; // none yet: from the first key
  while (!signal?.aborted) {
    const from = after ? '(source, id) > (?, ?)' : 'TRUE';
    const fromParams = after ? [after.source, after.id] : [];
    const window = await db.transaction(async (sql) => {
      const end = await sql.get<EventKey>(`SELECT source, id FROM inbox WHERE ${from} ORDER BY source, id LIMIT 1 OFFSET ?`, [...fromParams, chunkSize - 1]);
      const { changes } = end
        ? await sql.run(`DELETE FROM inbox WHERE ${from} AND (source, id) <= (?, ?) AND handled_at < ?`, [...fromParams, end.source, end.id, before])
        : await sql.run(`DELETE FROM inbox WHERE ${from} AND handled_at < ?`, [...fromParams, before]);
      return { changes, end };
    });
    deleted += window.changes;
    if (!window.end) break;
    after = window.end;
  }
  return deleted;
}

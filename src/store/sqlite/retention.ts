/**
 * Retention on SQLite (see ../pruning.ts for what goes and what stays).
 *
 * Neither table has an index on these times (one on the inbox would cost every ingested event a
 * B-tree insert), so each table is walked in key order a window of `chunkSize` rows at a time,
 * each window in its own short transaction. A window's cost is bounded by the rows it looks at,
 * however few of them are old, and the consumer's batches get the write lock between two windows.
 */
import type { Database } from './database.js';
import type { EventKey } from '../inbox-mark.js';
import { PRUNE_CHUNK, checkChunkSize, type PruneOptions, type Pruned } from '../pruning.js';

export async function pruneOld(db: Database, before: number, { chunkSize = PRUNE_CHUNK, signal }: PruneOptions = {}): Promise<Pruned> {
  checkChunkSize(chunkSize);
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

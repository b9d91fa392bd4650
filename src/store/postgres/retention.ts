/**
 * Retention on PostgreSQL (see ../pruning.ts for what goes and what stays): one instance at a
 * time, under a session advisory lock; the others find it taken and leave the run to it. The
 * tables are walked in key order a window at a time, each window its own short transaction, as
 * on SQLite: no index on the times (one on the inbox would cost every event an index insert).
 */
import type pg from 'pg';
import { LOCKS } from './locks.js';
import type { EventKey } from '../inbox-mark.js';
import { PRUNE_CHUNK, checkChunkSize, type PruneOptions, type Pruned } from '../pruning.js';

/** Undefined when another instance holds the retention lock (it is pruning now). */
export async function pruneOld(
  connect: () => Promise<pg.PoolClient>,
  before: number,
  { chunkSize = PRUNE_CHUNK, signal }: PruneOptions = {},
): Promise<Pruned | undefined> {
  checkChunkSize(chunkSize);
  const client = await connect();
  let broken: Error | undefined;
  try {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [LOCKS.retention]);
    if (!rows[0]!.locked) return undefined;
    try {
      const outbox = await pruneOutbox(client, before, chunkSize, signal);
      const inbox = await pruneInbox(client, before, chunkSize, signal);
      return { outbox, inbox };
    } finally {
      // A lost connection has let go of the lock already.
      await client.query('SELECT pg_advisory_unlock($1)', [LOCKS.retention]).catch((err: Error) => (broken = err));
    }
  } catch (err) {
    broken = err as Error;
    throw err;
  } finally {
    client.release(broken);
  }
}

async function inTransaction<T>(client: pg.PoolClient, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

async function pruneOutbox(client: pg.PoolClient, before: number, chunkSize: number, signal: AbortSignal | undefined): Promise<number> {
  let deleted = 0;
  let after = 0; // seq starts at 1
  while (!signal?.aborted) {
    const window = await inTransaction(client, async () => {
      const end = (await client.query<{ seq: number }>(`SELECT seq FROM outbox WHERE seq > $1 ORDER BY seq LIMIT 1 OFFSET $2`, [after, chunkSize - 1])).rows[0];
      // The last window is open-ended: rows added meanwhile are new, the condition keeps them.
      const { rowCount } = await client.query(
        `DELETE FROM outbox WHERE seq > $1 AND seq <= $2 AND status = 'done' AND done_at < $3`,
        [after, end?.seq ?? Number.MAX_SAFE_INTEGER, before],
      );
      return { changes: rowCount ?? 0, end: end?.seq };
    });
    deleted += window.changes;
    if (window.end === undefined) break;
    after = window.end;
  }
  return deleted;
}

async function pruneInbox(client: pg.PoolClient, before: number, chunkSize: number, signal: AbortSignal | undefined): Promise<number> {
  let deleted = 0;
  let after: EventKey | undefined; // none yet: from the first key
  while (!signal?.aborted) {
    const from = after ? '(source, id) > ($1, $2)' : 'TRUE';
    const fromParams = after ? [after.source, after.id] : [];
    const next = fromParams.length + 1;
    const window = await inTransaction(client, async () => {
      const end = (await client.query<EventKey>(`SELECT source, id FROM inbox WHERE ${from} ORDER BY source, id LIMIT 1 OFFSET $${next}`, [...fromParams, chunkSize - 1])).rows[0];
      const { rowCount } = end
        ? await client.query(`DELETE FROM inbox WHERE ${from} AND (source, id) <= ($${next}, $${next + 1}) AND handled_at < $${next + 2}`, [...fromParams, end.source, end.id, before])
        : await client.query(`DELETE FROM inbox WHERE ${from} AND handled_at < $${next}`, [...fromParams, before]);
      return { changes: rowCount ?? 0, end };
    });
    deleted += window.changes;
    if (!window.end) break;
    after = window.end;
  }
  return deleted;
}

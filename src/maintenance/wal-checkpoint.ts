/**
 * Keeps the SQLite WAL file from staying at the size a long write (or a long read, during which
 * nothing can be checkpointed) made it: every `everyMs`, a WAL grown past WAL_LIMIT_BYTES is
 * checkpointed and truncated. A checkpoint that another process is in the way of gives up at
 * once and is tried again at the next tick; Database.close does a last one.
 */
import { WAL_LIMIT_BYTES, type Database } from '../store/database.js';
import type { Logger } from '../logger.js';

export interface WalCheckpoints {
  stop(): void;
}

export function startWalCheckpoints(db: Database, log: Logger, everyMs = 60_000, limitBytes = WAL_LIMIT_BYTES): WalCheckpoints {
  let busy = false;
  const tick = async () => {
    const before = db.walBytes();
    if (busy || before <= limitBytes) return;
    busy = true;
    try {
      const done = await db.checkpointWal();
      const fields = { walBytesBefore: before, walBytesAfter: db.walBytes() };
      if (done) log.info(fields, 'WAL checkpointed and truncated');
      else log.debug(fields, 'WAL checkpoint postponed: another connection is reading or writing');
    } catch (err) {
      log.warn({ err }, 'WAL checkpoint failed; trying again later');
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), everyMs).unref();
  return { stop: () => clearInterval(timer) };
}

/**
 * Retention: what no longer needs remembering. Done outbox rows delivered before a cut-off and
 * inbox marks of events handled before it are deleted; pending and failed outbox rows stay
 * whatever their age, and so does every other table. Each adapter walks its tables in key order
 * a window of `chunkSize` rows at a time, each window in its own short transaction, so the
 * intake's batches get their turn between two windows.
 */

/** Rows looked at (so at most deleted) in one transaction. */
export const PRUNE_CHUNK = 5_000;

const DAY_MS = 86_400_000;

/** The cut-off for keeping `days` days: what is older goes. Milliseconds since the epoch. */
export function retentionCutoff(now: number, days: number): number {
  return now - days * DAY_MS;
}

export interface PruneOptions {
  /** Rows per transaction, a whole number ≥ 1 (RangeError otherwise). */
  chunkSize?: number;
  /** Stops after the window in progress (shutdown); the next run takes up what is left. */
  signal?: AbortSignal;
}

export interface Pruned {
  outbox: number;
  inbox: number;
}

export function checkChunkSize(chunkSize: number): void {
  if (!Number.isInteger(chunkSize) || chunkSize < 1) throw new RangeError(`chunkSize must be a whole number ≥ 1, not ${chunkSize}`);
}

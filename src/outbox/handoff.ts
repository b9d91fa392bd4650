/**
 * Rows a consumer writes for the dispatcher of its own process: leased to that dispatcher in the
 * transaction that writes them, and given to it right after the commit. Their first attempt
 * needs no lease query and no wake-up, so an email leaves as soon as its cause is committed (a
 * transactional outbox with delivery right after the commit). Rows not handed off (no dispatcher
 * in this process, or it has enough on hand) are written unleased and leased the usual way.
 */
import type { OutboxLease, OutboxRow } from '../store/outbox-entry.js';

export interface OutboxHandoff {
  /**
   * A lease for `rows` new rows if this process's dispatcher can start them within a moment;
   * undefined: write them unleased. Called inside the writing transaction, before its commit.
   */
  leaseFor(rows: number): OutboxLease | undefined;
  /** The rows written with `lease`, after their transaction committed. */
  take(rows: OutboxRow[], lease: OutboxLease): void;
}

/**
 * Whether the database can be reached now. A connection failure anywhere marks it unreachable;
 * from then on a probe (`SELECT 1`, backing off from 200 ms to 5 s) runs until the database
 * answers, and whoever waits for it goes on. `/readyz` reads this, so it tells the truth while
 * the database is away, and the intake waits instead of burning its messages' retries.
 */
import type pg from 'pg';
import type { Logger } from '../../logger.js';

const FIRST_PROBE_MS = 200;
const LAST_PROBE_MS = 5_000;

export class Reachability {
  private up = true;
  private probing = false;
  private closed = false;
  /** Each waiter's resolve, with its reject for close(). */
  private waiters = new Map<() => void, (err: Error) => void>();
  private readonly listeners = new Set<(reachable: boolean) => void>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly log: Logger | undefined,
  ) {}

  get reachable(): boolean {
    return this.up;
  }

  /** Called with the new state on each change. */
  onChange(listener: (reachable: boolean) => void): void {
    this.listeners.add(listener);
  }

  lost(err: unknown): void {
    if (this.closed) return;
    if (this.up) {
      this.up = false;
      this.log?.warn({ err: (err as Error)?.message ?? String(err) }, 'database unreachable; waiting for it to come back');
      for (const listener of this.listeners) listener(false);
    }
    if (!this.probing) void this.probe();
  }

  whenReachable(signal?: AbortSignal): Promise<void> {
    if (this.up) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const done = () => {
        signal?.removeEventListener('abort', abort);
        this.waiters.delete(done);
        resolve();
      };
      const fail = (err: Error) => {
        signal?.removeEventListener('abort', abort);
        this.waiters.delete(done);
        reject(err);
      };
      const abort = () => fail(signal!.reason instanceof Error ? signal!.reason : new Error('stopped waiting for the database'));
      if (signal?.aborted) return abort();
      signal?.addEventListener('abort', abort, { once: true });
      this.waiters.set(done, fail);
    });
  }

  close(): void {
    this.closed = true;
    for (const fail of [...this.waiters.values()]) fail(new Error('the store was closed while waiting for the database'));
  }

  private async probe(): Promise<void> {
    this.probing = true;
    let delay = FIRST_PROBE_MS;
    try {
      while (!this.closed) {
        try {
          await this.pool.query('SELECT 1');
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, delay).unref());
          delay = Math.min(delay * 2, LAST_PROBE_MS);
        }
      }
    } finally {
      this.probing = false;
    }
    if (this.closed) return;
    this.up = true;
    this.log?.info('database reachable again');
    for (const listener of this.listeners) listener(true);
    for (const wake of [...this.waiters.keys()]) wake();
  }
}

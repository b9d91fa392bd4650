/**
 * Console sessions in this process's memory, forgotten once idle past their cookie's expiry.
 * @fastify/session's own MemoryStore never drops an expired session nobody asks for again, so
 * every visit to the login page would stay in memory for good; this one sweeps them out, and
 * holds at most `max` (the oldest go first).
 */
import type { Session } from 'fastify';
import type {} from '@fastify/session';

type Callback = (err?: unknown) => void;
type CallbackSession = (err: unknown, result?: Session | null) => void;

export class IdleSessionStore {
  private readonly sessions = new Map<string, { session: Session; expires: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly idleMs: number,
    private readonly max = 10_000,
  ) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, idleMs)).unref();
  }

  set(id: string, session: Session, callback: Callback): void {
    this.sessions.delete(id); // re-inserted last: the Map's order is the order of last use
    const expires = session.cookie?.expires instanceof Date ? session.cookie.expires.getTime() : Date.now() + this.idleMs;
    this.sessions.set(id, { session, expires });
    while (this.sessions.size > this.max) this.sessions.delete(this.sessions.keys().next().value!);
    callback();
  }

  get(id: string, callback: CallbackSession): void {
    const kept = this.sessions.get(id);
    if (kept && kept.expires <= Date.now()) this.sessions.delete(id);
    callback(null, kept && kept.expires > Date.now() ? kept.session : null);
  }

  destroy(id: string, callback: Callback): void {
    this.sessions.delete(id);
    callback();
  }

  get size(): number {
    return this.sessions.size;
  }

  close(): void {
    clearInterval(this.sweeper);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, { expires }] of this.sessions) if (expires <= now) this.sessions.delete(id);
  }
}

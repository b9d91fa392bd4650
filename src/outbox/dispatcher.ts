/**
 * Delivers the outbox: emails through the mailer, commands and events through the broker with
 * confirms. Rows are leased, so several workers can share a database; a row is marked done
 * only after the mail server or broker accepted it, so a crash means "send again", never
 * "never sent". Failures are retried on the schedule, then kept as failed messages.
 *
 * Rows reach the dispatcher two ways. Rows this process's consumer commits come leased to it
 * already (handoff.ts) and start at once. Everything else (retries coming due, rows of other
 * instances or of the reminder job, rows the handoff passed over) is leased by one feeder loop,
 * a batch at a time, when the store says rows were added, when this process wakes it, and on a
 * poll. Sends run side by side up to a window; each row is recorded as soon as its own send is
 * done (outcome-recorder.ts), so no row waits for the slowest of a batch.
 */
import os from 'node:os';
import type { Store } from '../store/store.js';
import type { OutboxLease, OutboxRow } from '../store/outbox-entry.js';
import type { Broker } from '../broker/connection.js';
import type { Mailer } from '../mail/mailer.js';
import type { EmailRenderer } from '../mail/renderer.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { Tracing } from '../tracing/tracing.js';
import { RowDelivery } from './row-delivery.js';
import { OutcomeRecorder } from './outcome-recorder.js';
import type { OutboxHandoff } from './handoff.js';

export interface DispatcherDeps {
  store: Store;
  broker: Broker;
  mailer: Mailer;
  renderer: EmailRenderer;
  retryDelaysMs: number[];
  activationSecret: string;
  mailFrom: string | undefined;
  clock: () => Date;
  log: Logger;
  metrics: Metrics;
  tracing: Tracing;
  /** Rows the feeder leases at a time (default 100). */
  batchSize?: number;
  /** How long a lease lasts, in ms (default LEASE_MS). */
  leaseMs?: number;
  /**
   * How often to look for due rows when nothing wakes the dispatcher, in ms (default 1000):
   * retries come due by time, and a lost notification from another instance is found this late at most.
   */
  pollMs?: number;
  /** Sends in flight at most (default 100, as many as the mail pool queues usefully). */
  window?: number;
}

/**
 * How long a worker owns the rows it took. After a crash, another worker (or the restarted one)
 * takes them over once this has passed, so it bounds recovery time. A row normally leaves well
 * under a second after its lease; the mailer's timeouts keep a hung server from holding it past.
 */
const LEASE_MS = 15_000;

interface HeldRow {
  row: OutboxRow;
  leaseUntil: number;
}

export class OutboxDispatcher implements OutboxHandoff {
  private running = false;
  /** Leased to this process, not started yet, oldest first. */
  private held: HeldRow[] = [];
  private inFlight = 0;
  /** In-flight sends, so that stop() can wait for them. */
  private readonly sending = new Set<Promise<void>>();
  /** Set by wake(): rows may have been added while the feeder was busy, so it looks again before sleeping. */
  private woken = false;
  private wakeFeeder: (() => void) | undefined;
  /** The feeder sleeps until sends make room for a batch (rather than until woken or the poll). */
  private waitingForRoom = false;
  private feeder: Promise<void> | undefined;
  private backlogCountedAt = 0;
  private readonly owner = `${os.hostname()}:${process.pid}`;
  private unsubscribe: () => void = () => undefined;
  /** Aborted by stop(): a feeder or recorder waiting for the database gives up. */
  private stopping = new AbortController();
  private readonly delivery: RowDelivery;
  private readonly recorder: OutcomeRecorder;
  private readonly window: number;
  private readonly batchSize: number;
  private readonly leaseMs: number;

  constructor(private readonly deps: DispatcherDeps) {
    this.delivery = new RowDelivery(deps);
    this.recorder = new OutcomeRecorder(deps, () => this.stopping.signal);
    this.window = deps.window ?? 100;
    this.batchSize = deps.batchSize ?? 100;
    this.leaseMs = deps.leaseMs ?? LEASE_MS;
  }

  /** Rows this process holds at most, started or not: a window in flight and a window waiting. */
  private get limit(): number {
    return 2 * this.window;
  }

  async start(): Promise<void> {
    // After a crash, the rows the dead worker had leased would wait LEASE_MS; the store takes back
    // at once those of workers it knows are gone.
    for (const { owner, released } of await this.deps.store.takeBackLeases(this.deps.clock().getTime())) {
      this.deps.log.info({ owner, released }, 'took back the outbox leases of a process that is gone');
    }
    this.running = true;
    this.stopping = new AbortController();
    this.unsubscribe = this.deps.store.onOutboxAdded(() => this.wake());
    this.feeder = this.feed();
  }

  /** New rows were committed elsewhere in this process (a reminder pass, support): look now instead of at the next poll. */
  wake(): void {
    this.woken = true;
    this.wakeFeeder?.();
  }

  leaseFor(rows: number): OutboxLease | undefined {
    if (!this.running || rows === 0 || this.held.length + this.inFlight + rows > this.limit) return undefined;
    return { owner: this.owner, until: this.deps.clock().getTime() + this.leaseMs };
  }

  take(rows: OutboxRow[], lease: OutboxLease): void {
    this.hold(rows, lease.until);
    this.deps.metrics.outboxTaken.inc({ via: 'handoff' }, rows.length);
  }

  private hold(rows: OutboxRow[], leaseUntil: number): void {
    for (const row of rows) this.held.push({ row, leaseUntil });
    this.pump();
  }

  /**
   * Stops leasing, sends what it holds, and waits until every outcome is recorded. A feeder or
   * recorder waiting for an unreachable database gives up at once (the rows are sent again after
   * their lease).
   */
  async stop(): Promise<void> {
    this.running = false;
    this.unsubscribe();
    this.stopping.abort(new Error('the worker is stopping'));
    this.wakeFeeder?.();
    await this.feeder;
    while (this.sending.size > 0) await Promise.all(this.sending);
    await this.recorder.idle();
  }

  /** Starts held rows while the window has room. */
  private pump(): void {
    while (this.inFlight < this.window && this.held.length > 0) {
      const { row, leaseUntil } = this.held.shift()!;
      // A row held so long that its lease may run out mid-send could be taken by another worker
      // as well: leave it to whoever leases it next (this process too), once the lease is over.
      if (leaseUntil - this.deps.clock().getTime() < this.leaseMs / 3) {
        this.deps.log.warn({ outboxId: row.id, leaseUntil }, 'outbox row held too long for its lease; it is delivered after the lease');
        continue;
      }
      this.inFlight++;
      const sending: Promise<void> = this.delivery.deliver(row).then((result) => {
        this.inFlight--;
        this.sending.delete(sending);
        this.recorder.add(row, result);
        this.pump();
        if (this.waitingForRoom && this.free() >= this.batchSize) this.wakeFeeder?.();
      });
      this.sending.add(sending);
    }
  }

  private free(): number {
    return this.limit - this.held.length - this.inFlight;
  }

  /**
   * Leases due rows while there is room for a batch of them; sleeps until woken, until room is
   * made, or until the poll.
   */
  private async feed(): Promise<void> {
    while (this.running) {
      this.woken = false;
      let leased = 0;
      // A batch when there is room for one; with rows still waiting to start, fewer would not
      // leave sooner, so no lease of a few rows at a time while the window is full.
      const room = this.free() >= this.batchSize ? this.batchSize : this.held.length === 0 ? this.free() : 0;
      try {
        if (room > 0) leased = await this.leaseDue(room);
        await this.updateBacklogMetrics();
      } catch (err) {
        if (this.deps.store.isUnreachable(err)) {
          // Nothing to do but wait: the store logs the outage and its end once, not every loop.
          await this.deps.store.whenReachable(this.stopping.signal).catch(() => undefined);
          continue;
        }
        this.deps.log.error({ err }, 'outbox lease failed');
      }
      // A full batch: more may be due; no room: wait for it; otherwise until woken or the poll.
      const full = room > 0 && leased === room;
      this.waitingForRoom = this.free() < this.batchSize;
      if (!this.running || ((full || this.woken) && !this.waitingForRoom)) continue;
      await this.sleep(this.waitingForRoom ? undefined : (this.deps.pollMs ?? 1000));
      this.waitingForRoom = false;
    }
  }

  private async leaseDue(limit: number): Promise<number> {
    const now = this.deps.clock().getTime();
    const rows = await this.deps.store.transaction((tx) => tx.outbox.leaseDue(now, limit, this.leaseMs, this.owner));
    if (rows.length > 0) {
      this.hold(rows, now + this.leaseMs);
      this.deps.metrics.outboxTaken.inc({ via: 'lease' }, rows.length);
    }
    return rows.length;
  }

  /** Until wake(), room for a batch, stop(), or `ms` (undefined: no timer; room comes when sends end). */
  private sleep(ms: number | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        self.wakeFeeder = undefined;
        resolve();
      }
      this.wakeFeeder = done;
    });
  }

  /** Counting the backlog reads every pending row: at most once a second, not once a pass. */
  private async updateBacklogMetrics(): Promise<void> {
    const now = Date.now();
    if (now - this.backlogCountedAt < 1000) return;
    this.backlogCountedAt = now;
    const { pending, oldestCreatedAt } = await this.deps.store.read((r) => r.outbox.backlog());
    this.deps.metrics.outboxBacklog.set(pending);
    this.deps.metrics.outboxOldestAge.set(oldestCreatedAt ? (this.deps.clock().getTime() - oldestCreatedAt) / 1000 : 0);
  }
}

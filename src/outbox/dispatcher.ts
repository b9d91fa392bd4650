/**
 * Delivers the outbox: emails through the mailer, commands and events through the broker with
 * confirms. Rows are leased, so several workers can share a database; a row is marked done
 * only after the mail server or broker accepted it, so a crash means "send again", never
 * "never sent". Failures are retried on the schedule, then kept as failed messages.
 */
import os from 'node:os';
import type { Database } from '../store/database.js';
import { leaseDue, leaseOwners, releaseLeases, markDelivered, markUndeliverable, reschedule, backlog, type OutboxRow } from '../store/outbox.js';
import { recordFailure } from '../store/failed-messages.js';
import type { Broker } from '../broker/connection.js';
import type { Mailer } from '../mail/mailer.js';
import { isPermanentMailError } from '../mail/mailer.js';
import type { EmailRenderer } from '../mail/renderer.js';
import type { EmailPayload, PublishPayload } from '../handlers/effects.js';
import { deriveToken } from '../admin/activation-token.js';
import { activationUrl, senderFor } from '../mail/sender.js';
import { groupKeyOf, readableReason } from '../intake/failure.js';
import { maskSecrets } from '../text/mask.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { TraceSpan, Tracing } from '../tracing/tracing.js';
import type { TraceExtension } from '../tracing/trace-context.js';

export interface DispatcherDeps {
  db: Database;
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
  /** Rows one loop leases at a time. */
  batchSize?: number;
  leaseMs?: number;
  /** How often to look for due rows when nothing wakes the dispatcher (retries come due by time). */
  pollMs?: number;
  /** Delivery loops working side by side. */
  loops?: number;
}

/**
 * How long a worker owns the rows it took. After a crash, another worker (or the restarted one)
 * takes them over once this has passed, so it bounds recovery time. A batch normally takes well
 * under a second; the mailer's timeouts keep a hung server from holding a batch past it.
 */
const LEASE_MS = 15_000;

/** The reminder job's events, by the `kind` of collab_reminders_total. */
const REMINDER_KINDS: Record<string, string | undefined> = { 'collaboration.reminder-sent': 'reminder', 'collaboration.invitation-expired': 'expiry' };

type Result = { seq: number; traceId: string; ok: true } | { seq: number; traceId: string; ok: false; error: Error; permanent: boolean };

export class OutboxDispatcher {
  private running = false;
  /** Set by wake(): rows were added while a loop was busy, so it must look again before sleeping. */
  private woken = false;
  private backlogCountedAt = 0;
  private loops: Promise<void>[] = [];
  private sleepers = new Set<() => void>();
  private readonly owner = `${os.hostname()}:${process.pid}`;

  constructor(private readonly deps: DispatcherDeps) {}

  /**
   * Several loops, each with its own leased batch: while one waits for the mail server's
   * answers, another is leasing or recording, so the mail server never waits for SQLite.
   */
  async start(): Promise<void> {
    await this.releaseLeasesOfDeadProcesses();
    this.running = true;
    this.loops = Array.from({ length: this.deps.loops ?? 3 }, () => this.run());
  }

  /**
   * After a crash, the rows the dead process had leased would wait LEASE_MS. A process on this
   * host can tell whether another one here is still alive, so it takes those back at once. (Leases
   * of other hosts, or of a pid that is alive, are left to run out.)
   */
  private async releaseLeasesOfDeadProcesses(): Promise<void> {
    const host = os.hostname();
    const owners = await leaseOwners(this.deps.db, this.deps.clock().getTime());
    for (const owner of owners) {
      const [ownerHost, pid] = [owner.slice(0, owner.lastIndexOf(':')), Number(owner.slice(owner.lastIndexOf(':') + 1))];
      if (ownerHost !== host || pid === process.pid || isAlive(pid)) continue;
      const released = await this.deps.db.transaction((sql) => releaseLeases(sql, owner));
      this.deps.log.info({ owner, released }, 'took back the outbox leases of a process that is gone');
    }
  }

  /** New rows were committed: look now instead of at the next poll. */
  wake(): void {
    this.woken = true;
    for (const wakeUp of this.sleepers) wakeUp();
  }

  /** Finishes the batch in progress, then stops. */
  async stop(): Promise<void> {
    this.running = false;
    for (const wakeUp of this.sleepers) wakeUp();
    await Promise.all(this.loops);
  }

  /** One pass: deliver what is due now. Returns how many rows it handled. */
  async deliverDue(): Promise<number> {
    const now = this.deps.clock().getTime();
    const rows = await this.deps.db.transaction((sql) => leaseDue(sql, now, this.deps.batchSize ?? 100, this.deps.leaseMs ?? LEASE_MS, this.owner));
    if (rows.length === 0) return 0;
    const results = await Promise.all(rows.map((row) => this.deliver(row)));
    await this.record(rows, results);
    return rows.length;
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.woken = false;
      let handled = 0;
      try {
        handled = await this.deliverDue();
        await this.updateBacklogMetrics();
      } catch (err) {
        this.deps.log.error({ err }, 'outbox pass failed');
      }
      if (handled === 0 && !this.woken && this.running) await this.sleep(this.deps.pollMs ?? 1000);
    }
  }

  private sleep(ms: number): Promise<void> {
    let wakeUp: () => void = () => undefined;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      wakeUp = done;
      this.sleepers.add(done);
    }).finally(() => this.sleepers.delete(wakeUp));
  }

  /** One row, in a span that is a child of the context the row was written with (its cause's). */
  private async deliver(row: OutboxRow): Promise<Result> {
    const span = this.deliverySpan(row);
    try {
      if (row.channel === 'email') await this.sendEmail(row.id, row.payload as EmailPayload, span.extension);
      else await this.publish(row.payload as PublishPayload, span.extension);
      span.end();
      return { seq: row.seq, traceId: span.traceId, ok: true };
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      span.end({ error: `${error.name}: ${error.message}` });
      return { seq: row.seq, traceId: span.traceId, ok: false, error, permanent: row.channel === 'email' && isPermanentMailError(err) };
    }
  }

  private deliverySpan(row: OutboxRow): TraceSpan {
    const attributes = { 'collab.outbox_id': row.id, 'collab.collaboration_id': row.collaborationId ?? undefined, 'collab.attempt': row.attempts + 1 };
    if (row.channel === 'email') return this.deps.tracing.delivery((row.payload as EmailPayload).trace, 'email', row.topic, attributes);
    const p = row.payload as PublishPayload;
    const message = p.message as Partial<TraceExtension> & { id?: string };
    const parent = message.traceparent ? { traceparent: message.traceparent, ...(message.tracestate ? { tracestate: message.tracestate } : {}) } : undefined;
    return this.deps.tracing.delivery(parent, 'publish', row.topic, {
      ...attributes,
      'messaging.system': 'rabbitmq',
      'messaging.operation.type': 'send',
      'messaging.destination.name': p.exchange,
      'messaging.rabbitmq.destination.routing_key': p.routingKey,
      'messaging.message.id': message.id,
    });
  }

  private async sendEmail(id: string, { model, activation }: EmailPayload, trace: TraceExtension): Promise<void> {
    const full = activation
      ? { ...model, activationUrl: activationUrl(model.brand, deriveToken(this.deps.activationSecret, activation.adminId, activation.nonce)) }
      : model;
    const email = this.deps.renderer.render(full);
    const label = `${model.kind}.${model.collaborationId}`;
    await this.deps.mailer.send({ id, label, from: senderFor(model.brand, this.deps.mailFrom), to: model.to, ...email, trace });
  }

  /**
   * The message as written, with the delivery's trace as its extension attributes (the span of
   * this publish when spans are recorded), and as AMQP headers for consumers that read those.
   */
  private async publish(p: PublishPayload, trace: TraceExtension): Promise<void> {
    const channels = this.deps.broker.current;
    if (!channels) throw new Error('broker not connected');
    const message = p.message as { id: string };
    await channels.publisher.publish(p.exchange, p.routingKey, Buffer.from(JSON.stringify({ ...message, ...trace })), {
      messageId: message.id,
      mandatory: p.mandatory,
      headers: { ...trace },
    });
  }

  private async record(rows: OutboxRow[], results: Result[]): Promise<void> {
    const now = this.deps.clock().getTime();
    const bySeq = new Map(rows.map((r) => [r.seq, r]));
    await this.deps.db.transaction(async (sql) => {
      await markDelivered(sql, results.filter((r) => r.ok).map((r) => r.seq), now);
      for (const result of results) {
        if (result.ok) continue;
        const row = bySeq.get(result.seq)!;
        // The row keeps the class with the message; a failed message keeps the class apart
        // (errorClass), so its reason does not repeat it.
        const lastError = maskSecrets(`${result.error.name}: ${result.error.message}`);
        const delay = this.deps.retryDelaysMs[row.attempts];
        if (!result.permanent && delay !== undefined) {
          await reschedule(sql, row.seq, now + delay, lastError);
          continue;
        }
        await markUndeliverable(sql, row.seq, lastError);
        const failure = result.permanent ? result.error.message : `gave up after ${row.attempts + 1} attempts: ${result.error.message}`;
        await recordFailure(sql, outboxFailure(row, result.error.name, failure), now);
      }
    });
    for (const result of results) this.count(bySeq.get(result.seq)!, result);
  }

  private count(row: OutboxRow, result: Result): void {
    const outcome = result.ok ? 'sent' : result.permanent || this.deps.retryDelaysMs[row.attempts] === undefined ? 'failed' : 'retried';
    if (row.channel === 'email') this.deps.metrics.emails.inc({ kind: row.topic, result: outcome });
    else this.deps.metrics.published.inc({ type: row.topic, result: outcome === 'sent' ? 'confirmed' : outcome });
    // Counted here, where the pass's event leaves, not in the pass: a pass run from the CLI
    // (`reminders run`) or by another process is counted too, once.
    const reminderKind = result.ok ? REMINDER_KINDS[row.topic] : undefined;
    if (reminderKind) this.deps.metrics.remindersSent.inc({ kind: reminderKind });
    if (!result.ok) {
      this.deps.log.warn({ outboxId: row.id, collaborationId: row.collaborationId, topic: row.topic, outcome, traceId: result.traceId, err: result.error.message }, 'outbox delivery failed');
    }
  }

  /** Counting the backlog reads every pending row: at most once a second, not once a pass. */
  private async updateBacklogMetrics(): Promise<void> {
    const now = Date.now();
    if (now - this.backlogCountedAt < 1000) return;
    this.backlogCountedAt = now;
    const { pending, oldestCreatedAt } = await backlog(this.deps.db);
    this.deps.metrics.outboxBacklog.set(pending);
    this.deps.metrics.outboxOldestAge.set(oldestCreatedAt ? (this.deps.clock().getTime() - oldestCreatedAt) / 1000 : 0);
  }
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

function outboxFailure(row: OutboxRow, errorClass: string, rawReason: string) {
  const reason = readableReason(rawReason);
  const publish = row.channel === 'amqp' ? (row.payload as PublishPayload) : undefined;
  return {
    failureKey: `outbox:${row.id}`,
    origin: 'outbox' as const,
    messageId: row.id,
    source: publish ? '/collab-worker' : null,
    type: row.topic,
    collaborationId: row.collaborationId,
    exchange: publish?.exchange ?? 'smtp',
    routingKey: publish?.routingKey ?? row.topic,
    contentType: 'application/json',
    headers: {},
    body: Buffer.from(JSON.stringify(row.payload, null, 2)),
    errorClass,
    reason,
    groupKey: groupKeyOf(errorClass, reason),
    attempts: row.attempts + 1,
  };
}

/**
 * Records what deliveries came to: done, rescheduled on the retry schedule, or kept as a failed
 * message. Outcomes are written together (group commit): those of the next LINGER_MS, or up to
 * MAX_GROUP, and those that arrive while a recording transaction runs; so the store sees a few
 * transactions a second at a trickle and one per hundreds of rows when mail pours. Until a row
 * is recorded it stays leased, so a crash means "send again", never "never sent".
 */
import type { Store, StoreTx } from '../store/store.js';
import type { OutboxRow } from '../store/outbox-entry.js';
import type { PublishPayload } from '../handlers/effects.js';
import { groupKeyOf, readableReason } from '../intake/failure.js';
import { maskSecrets } from '../text/mask.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import type { DeliveryResult } from './row-delivery.js';

export interface OutcomeRecorderDeps {
  store: Store;
  retryDelaysMs: number[];
  clock: () => Date;
  log: Logger;
  metrics: Metrics;
}

/** The reminder job's events, by the `kind` of collab_reminders_total. */
const REMINDER_KINDS: Record<string, string | undefined> = { 'collaboration.reminder-sent': 'reminder', 'collaboration.invitation-expired': 'expiry' };

/**
 * How long an outcome waits for others to be written with, in ms. Every write transaction takes
 * the store's one writer (SQLite's connection, PostgreSQL's commit flush), and the consumer's
 * batches wait behind it: at 200 activations/s, groups of 10 ms made 100 recording transactions
 * a second, and 100 ms took the median publish → email from 10–15 ms to 7–8 ms (bench,
 * interleaved runs). Rows stay leased meanwhile; a crash re-sends at most this much more of
 * what was already out.
 */
const LINGER_MS = 100;
/** Outcomes that are written at once, without waiting for the linger. */
const MAX_GROUP = 100;

interface Outcome {
  row: OutboxRow;
  result: DeliveryResult;
}

export class OutcomeRecorder {
  private pending: Outcome[] = [];
  private writing: Promise<void> | undefined;
  private lingering: { timer: NodeJS.Timeout; over: () => void } | undefined;

  /** `stopping`: aborted when the worker stops; a recording waiting for the database then gives up. */
  constructor(
    private readonly deps: OutcomeRecorderDeps,
    private readonly stopping: () => AbortSignal,
  ) {}

  /** Queues the outcome; it is written with the others that arrive meanwhile. */
  add(row: OutboxRow, result: DeliveryResult): void {
    this.pending.push({ row, result });
    if (this.pending.length >= MAX_GROUP) this.lingering?.over();
    this.writing ??= this.writeAll().finally(() => (this.writing = undefined));
  }

  /** Resolves once every outcome queued so far is written (or given up on), without lingering. */
  async idle(): Promise<void> {
    this.lingering?.over();
    while (this.writing) await this.writing;
  }

  private linger(): Promise<void> {
    return new Promise((resolve) => {
      const over = () => {
        clearTimeout(this.lingering?.timer);
        this.lingering = undefined;
        resolve();
      };
      this.lingering = { timer: setTimeout(over, LINGER_MS), over };
    });
  }

  private async writeAll(): Promise<void> {
    if (this.pending.length < MAX_GROUP) await this.linger();
    while (this.pending.length > 0) {
      const outcomes = this.pending.splice(0);
      try {
        await this.write(outcomes);
      } catch (err) {
        // Not written: the rows stay leased and are sent again once their lease runs out.
        this.deps.log.error({ err, rows: outcomes.length }, 'could not record outbox deliveries; they will be sent again after their lease');
      }
    }
  }

  /**
   * The emails and messages are out: if the database is away, wait for it and record them then
   * (each one not recorded would be sent again after its lease).
   */
  private async write(outcomes: Outcome[]): Promise<void> {
    const now = this.deps.clock().getTime();
    for (;;) {
      try {
        await this.deps.store.transaction((tx) => this.writeIn(tx, outcomes, now));
        break;
      } catch (err) {
        if (!this.deps.store.isUnreachable(err) || this.stopping().aborted) throw err;
        await this.deps.store.whenReachable(this.stopping());
      }
    }
    for (const { row, result } of outcomes) this.count(row, result);
  }

  private async writeIn(tx: StoreTx, outcomes: Outcome[], now: number): Promise<void> {
    await tx.outbox.markDelivered(outcomes.filter((o) => o.result.ok).map((o) => o.row.seq), now);
    for (const { row, result } of outcomes) {
      if (result.ok) continue;
      // The row keeps the class with the message; a failed message keeps the class apart
      // (errorClass), so its reason does not repeat it.
      const lastError = maskSecrets(`${result.error.name}: ${result.error.message}`);
      const delay = this.deps.retryDelaysMs[row.attempts];
      if (!result.permanent && delay !== undefined) {
        await tx.outbox.reschedule(row.seq, now + delay, lastError);
        continue;
      }
      await tx.outbox.markUndeliverable(row.seq, lastError);
      const failure = result.permanent ? result.error.message : `gave up after ${row.attempts + 1} attempts: ${result.error.message}`;
      await tx.failed.record(outboxFailure(row, result.error.name, failure), now);
    }
  }

  private count(row: OutboxRow, result: DeliveryResult): void {
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

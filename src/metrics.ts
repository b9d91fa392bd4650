/**
 * Prometheus metrics (prom-client). One registry per worker, so tests and several workers in
 * one process do not share counters.
 */
import client from 'prom-client';
import { observeGcDuration } from './gc-duration.js';

/** Seconds, fine below 10 ms: where a message's milliseconds go (the bench reads the means). */
const STEP_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class Metrics {
  readonly registry = new client.Registry();
  readonly messages = new client.Counter({
    name: 'collab_messages_total',
    help: 'Messages handled, by event type and outcome (acked, duplicate, skipped, retried, failed)',
    labelNames: ['type', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly handlingSeconds = new client.Histogram({
    name: 'collab_message_handling_seconds',
    help: 'Time from delivery to ack, per message',
    labelNames: ['type'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly batchWaitSeconds = new client.Histogram({
    name: 'collab_batch_wait_seconds',
    help: "Time from a delivery's arrival (parsed meanwhile) to the start of its batch's store transaction, per message: the wait for the batch before to commit",
    buckets: STEP_BUCKETS,
    registers: [this.registry],
  });
  readonly batchCommitSeconds = new client.Histogram({
    name: 'collab_batch_commit_seconds',
    help: "A batch's store transaction, handlers included, from its start to its commit, per batch",
    buckets: STEP_BUCKETS,
    registers: [this.registry],
  });
  readonly outboxAttemptSeconds = new client.Histogram({
    name: 'collab_outbox_attempt_seconds',
    help: 'One outbox delivery attempt, from its start (rendering included) until the mail server or the broker accepted it or it failed, by channel (email, amqp)',
    labelNames: ['channel'] as const,
    buckets: STEP_BUCKETS,
    registers: [this.registry],
  });
  readonly emails = new client.Counter({
    name: 'collab_emails_total',
    help: 'Emails by kind and result (sent, retried, failed)',
    labelNames: ['kind', 'result'] as const,
    registers: [this.registry],
  });
  readonly published = new client.Counter({
    name: 'collab_published_total',
    help: 'Commands and events published, by type and result (confirmed, retried, failed)',
    labelNames: ['type', 'result'] as const,
    registers: [this.registry],
  });
  readonly remindersSent = new client.Counter({
    name: 'collab_reminders_total',
    help: 'Reminders sent and invitations expired by the reminder job, whichever process ran it (counted when its event is published)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly prunedRows = new client.Counter({
    name: 'collab_pruned_rows_total',
    help: 'Rows deleted by retention, by table (outbox: done rows; inbox: marks of handled events)',
    labelNames: ['table'] as const,
    registers: [this.registry],
  });
  readonly brokerConnected = new client.Gauge({
    name: 'collab_broker_connected',
    help: '1 while connected to RabbitMQ',
    registers: [this.registry],
  });
  /** What `collab_database_reachable` reports at each scrape (the worker points it at its store). */
  databaseReachable: () => boolean = () => true;
  readonly databaseUp: client.Gauge = new client.Gauge({
    name: 'collab_database_reachable',
    help: '1 while the database answers; 0 while it cannot be reached (PostgreSQL outage)',
    registers: [this.registry],
    collect: (): void => this.databaseUp.set(this.databaseReachable() ? 1 : 0),
  });
  readonly outboxBacklog = new client.Gauge({ name: 'collab_outbox_pending', help: 'Outbox rows waiting for delivery', registers: [this.registry] });
  readonly outboxTaken = new client.Counter({
    name: 'collab_outbox_taken_total',
    help: 'Outbox rows this process took to deliver: handoff (leased as written by its own consumer, sent right after the commit) or lease (leased afterwards by its feeder: retries, other instances, a busy dispatcher)',
    labelNames: ['via'] as const,
    registers: [this.registry],
  });
  readonly outboxOldestAge = new client.Gauge({
    name: 'collab_outbox_oldest_age_seconds',
    help: 'Age of the oldest undelivered outbox row',
    registers: [this.registry],
  });
  readonly failedMessages = new client.Gauge({
    name: 'collab_failed_messages',
    help: 'Failed messages kept for support, by status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  /** Stops observing garbage collections (prom-client's own default metrics have no way to stop). */
  readonly close: () => void;

  constructor() {
    client.collectDefaultMetrics({ register: this.registry });
    this.close = observeGcDuration(this.registry);
  }
}

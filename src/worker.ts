/**
 * Puts the worker together from its parts, and takes it apart again in the right order.
 */
import type http from 'node:http';
import { SettingError, type Config } from './config.js';
import type { Logger } from './logger.js';
import { Metrics } from './metrics.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';
import { Broker } from './broker/connection.js';
import { buildTopology } from './broker/topology.js';
import { EventConsumer } from './intake/event-consumer.js';
import { OutboxDispatcher } from './outbox/dispatcher.js';
import { EmailRenderer } from './mail/renderer.js';
import { fileMailer, smtpMailer, type Mailer } from './mail/mailer.js';
import { activationSecretOf } from './admin/activation-token.js';
import { startHttpServer, type HealthSource } from './http/server.js';
import { prepareStoragePaths } from './support/storage-paths.js';
import { startReminderScheduler } from './reminders/scheduler.js';
import { startRetentionScheduler, type RetentionScheduler } from './maintenance/retention-scheduler.js';
import type { ScheduledJob } from './schedule/scheduled-job.js';
import type { SupportConfig } from './http/support/config.js';
import { startSupportServer, type SupportServer } from './http/support/server.js';
import { RequeueOperations } from './support/requeue-operations.js';
import { createTracing, type Tracing } from './tracing/tracing.js';

export interface WorkerOptions {
  config: Config;
  log: Logger;
  clock?: () => Date;
  /** Aborts a start in progress (e.g. SIGTERM while the broker is unreachable). */
  signal?: AbortSignal;
  /** The support console and API; undefined: off (see loadSupportConfig). */
  support?: SupportConfig;
}

export class Worker {
  private http?: http.Server & { port: number };
  private consumer?: EventConsumer;
  private dispatcher?: OutboxDispatcher;
  private failedGauge?: NodeJS.Timeout;
  private stopUpkeep?: () => void;
  private reminders?: ScheduledJob;
  private retention?: RetentionScheduler;
  /** The support console and API, when configured. */
  support?: SupportServer;
  operations?: RequeueOperations;

  private constructor(
    readonly config: Config,
    readonly log: Logger,
    readonly metrics: Metrics,
    readonly store: Store,
    readonly broker: Broker,
    private readonly mailer: Mailer,
    private readonly tracing: Tracing,
  ) {}

  /**
   * Starts every part `config.roles` asks for. The HTTP server comes first, so that /healthz
   * answers (and /readyz says 503, `starting`) while the broker is still being reached. Rejects
   * with a SettingError when a setting cannot work (a path, the broker's refusal), and with
   * `signal.reason` when `signal` aborts (a SIGTERM during the start); what was started by then
   * is stopped again. The support console and API, when configured, start last.
   */
  static async start({ config, log, clock = () => new Date(), signal, support }: WorkerOptions): Promise<Worker> {
    prepareStoragePaths(config);
    // A missing secret stops the start before anything is opened.
    activationSecretOf(config);
    const metrics = new Metrics();
    let health: HealthSource = { ready: () => ({ ready: false, detail: { starting: true, broker: 'connecting', consuming: false } }) };
    const http = await startHttpServer(config.httpPort, { ready: () => health.ready() }, metrics.registry).catch((err: NodeJS.ErrnoException) => {
      throw new SettingError('HTTP_PORT', `HTTP_PORT=${JSON.stringify(String(config.httpPort))} cannot be used: ${err.code === 'EADDRINUSE' ? 'another process listens on it' : err.message} (${err.code ?? 'error'})`);
    });
    log.info({ httpPort: http.port, pid: process.pid }, 'collab-worker starting; /healthz answers, /readyz is 503 until consuming');
    const undo: (() => Promise<unknown> | void)[] = [() => metrics.close(), () => new Promise((resolve) => http.close(resolve))];
    try {
      const worker = await Worker.build({ config, log, clock, signal, support }, metrics, undo);
      worker.http = http;
      health = worker;
      signal?.throwIfAborted();
      log.info({ httpPort: http.port, pid: process.pid, mail: worker.mailer.describe(), database: worker.store.description, roles: config.roles, spans: config.tracing?.tracesUrl ?? 'off' }, 'collab-worker started');
      return worker;
    } catch (err) {
      for (const step of undo.reverse()) await Promise.resolve().then(step).catch(() => undefined);
      throw err;
    }
  }

  private static async build({ config, log, clock, signal, support }: Required<Omit<WorkerOptions, 'signal' | 'support'>> & Pick<WorkerOptions, 'signal' | 'support'>, metrics: Metrics, undo: (() => Promise<unknown> | void)[]): Promise<Worker> {
    const tracing = await createTracing(config.tracing, (err) => log.warn({ err: err.message, tracesUrl: config.tracing?.tracesUrl }, 'span export failed'));
    undo.push(() => tracing.shutdown());
    const renderer = await EmailRenderer.load();
    signal?.throwIfAborted();
    const store = await openStore(config, log);
    undo.push(() => store.close());
    metrics.databaseReachable = () => store.reachable;
    const activationSecret = activationSecretOf(config);
    const topology = buildTopology({ prefix: config.queuePrefix, retryDelaysMs: config.retryDelaysMs, deliveryLimit: config.deliveryLimit });
    metrics.brokerConnected.set(0);
    const broker = await Broker.connect(config.amqpUrl, topology, log, signal);
    undo.push(() => broker.close());
    metrics.brokerConnected.set(1);
    broker.on('connected', () => metrics.brokerConnected.set(1));
    broker.on('disconnected', () => metrics.brokerConnected.set(0));
    const mailer = config.smtpUrl ? smtpMailer(config.smtpUrl) : fileMailer(config.mailDir);
    undo.push(() => mailer.close());
    const worker = new Worker(config, log, metrics, store, broker, mailer, tracing);
    undo.push(() => worker.stopParts());

    if (config.roles.includes('dispatch')) {
      worker.dispatcher = new OutboxDispatcher({
        store, broker, mailer, renderer, clock, log, metrics, activationSecret, tracing,
        retryDelaysMs: config.retryDelaysMs, mailFrom: config.mailFrom,
      });
      await worker.dispatcher.start();
    }
    if (config.roles.includes('consume')) {
      worker.consumer = new EventConsumer({
        broker, store, topology, clock, log, metrics, tracing,
        batchSize: config.batchSize,
        retryDelaysMs: config.retryDelaysMs,
        deliveryLimit: config.deliveryLimit,
        maxMessageBytes: config.maxMessageBytes,
        maxBytesInFlight: config.maxBytesInFlight,
        handlerSettings: {
          policy: { reminderDays: config.reminderDays, invitationExpiryDays: config.invitationExpiryDays },
          activationSecret,
          activationTokenTtlMs: config.activationTokenTtlMs,
        },
        ...(worker.dispatcher ? { outboxHandoff: worker.dispatcher } : {}),
        onCommitted: () => worker.dispatcher?.wake(),
      });
      await worker.consumer.start();
    }
    if (config.roles.includes('schedule')) {
      worker.reminders = startReminderScheduler({
        store, clock, log, metrics, tracing,
        policy: { reminderDays: config.reminderDays, invitationExpiryDays: config.invitationExpiryDays },
        schedule: config.reminderSchedule,
        onQueued: () => worker.dispatcher?.wake(),
      });
      worker.retention = startRetentionScheduler({
        store, clock, log, metrics,
        days: config.retentionDays,
        schedule: config.retentionSchedule,
      });
    }
    worker.stopUpkeep = store.startUpkeep(log);
    worker.failedGauge = setInterval(() => void worker.updateFailedGauge(), 15_000).unref();
    await worker.updateFailedGauge();
    if (support) {
      await worker.startSupport(support, topology.eventsQueue, clock);
      undo.push(() => worker.stopSupport());
    }
    return worker;
  }

  private async startSupport(config: SupportConfig, eventsQueue: string, clock: () => Date): Promise<void> {
    const operations = new RequeueOperations({
      store: this.store, eventsQueue, log: this.log,
      publisher: () => this.broker.current?.publisher,
      onRequeued: () => this.wakeDispatcher(),
      clock: () => clock().getTime(),
    });
    this.operations = operations;
    this.support = await startSupportServer({
      config, store: this.store, operations, log: this.log,
      readiness: () => this.ready(),
      clock: () => clock().getTime(),
      onActivated: () => this.wakeDispatcher(),
    });
    this.log.info({ url: this.support.url, users: config.users.length, clients: config.clients.length }, `support console at ${this.support.url}/console, API at ${this.support.url}/api/v1`);
  }

  /** Delivers due outbox rows now rather than at the next poll (after work queued from outside, e.g. the CLI). */
  wakeDispatcher(): void {
    this.dispatcher?.wake();
  }

  get httpPort(): number {
    return this.http?.port ?? 0;
  }

  /**
   * /readyz: ready while connected and consuming (when this process consumes), not stuck in a
   * batch, and while the database answers.
   */
  ready() {
    const database = this.store.reachable;
    const broker = {
      broker: this.broker.connected ? 'connected' : 'disconnected',
      ...(this.broker.blocked ? { blocked: this.broker.blocked } : {}),
      database: database ? 'reachable' : 'unreachable',
    };
    if (!this.consumer) return { ready: this.broker.connected && !this.broker.blocked && database, detail: broker };
    const { ready, ...consumer } = this.consumer.health();
    return { ready: ready && !this.broker.blocked && database, detail: { ...broker, ...consumer } };
  }

  /**
   * Graceful stop: no new deliveries, the batch in flight committed and acked, the outbox batch
   * in progress finished; all within `shutdownTimeoutMs`, after which the process may exit
   * anyway (what was not acked is redelivered, what was not marked sent is sent again).
   */
  async stop(): Promise<void> {
    await this.stopSupport();
    await this.stopParts();
    // After the work above: its last spans are exported with the rest.
    await this.tracing.shutdown().catch((err: Error) => this.log.warn({ err: err.message }, 'could not export the last spans'));
    await this.broker.close();
    this.mailer.close();
    await new Promise((resolve) => (this.http ? this.http.close(resolve) : resolve(undefined)));
    this.metrics.close();
    await this.store.close();
    this.log.info('collab-worker stopped');
  }

  /** No new support requests; requeue operations end after their chunk in progress. */
  private async stopSupport(): Promise<void> {
    await this.support?.close();
    await this.operations?.stop();
  }

  /** The schedules, the consumer and the dispatcher, within `shutdownTimeoutMs`. */
  private async stopParts(): Promise<void> {
    await this.reminders?.stop();
    await this.retention?.stop();
    const work = (async () => {
      await this.consumer?.stop();
      await this.dispatcher?.stop();
    })();
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), this.config.shutdownTimeoutMs).unref());
    if ((await Promise.race([work.then(() => 'done' as const), timeout])) === 'timeout') {
      this.log.warn({ timeoutMs: this.config.shutdownTimeoutMs }, 'shutdown timed out; unfinished work will be redone after restart');
    }
    clearInterval(this.failedGauge);
    this.stopUpkeep?.();
  }

  private async updateFailedGauge(): Promise<void> {
    try {
      const counts = await this.store.read((r) => r.failed.countByStatus());
      for (const [status, n] of Object.entries(counts)) this.metrics.failedMessages.set({ status }, n);
    } catch (err) {
      this.log.warn({ err }, 'could not count failed messages');
    }
  }
}

/**
 * The broker connection. amqplib 2's built-in recovery reconnects with backoff; after every
 * (re)connect `setup` opens fresh channels, re-asserts the topology and lets the consumers
 * subscribe again. `connected` is what /readyz and the metrics report.
 */
import { EventEmitter } from 'node:events';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type RecoveringChannelModel } from 'amqplib';
import { assertTopology, type Topology } from './topology.js';
import { Publisher } from './publisher.js';
import type { Logger } from '../logger.js';
import { SettingError } from '../config.js';
import { amqpTarget, classifyConnectFailure } from './connect-failure.js';
import { RetryReporter } from './retry-reporter.js';

/** A socket that has not finished connecting after this long counts as a failed attempt. */
const CONNECT_TIMEOUT_MS = 10_000;

export interface BrokerChannels {
  /** The events queue's alone, so that a batch can be acked with one multiple-ack. */
  consume: Channel;
  /** The dead-letter queue's. */
  deadLetters: Channel;
  publisher: Publisher;
}

type SetupListener = (channels: BrokerChannels) => Promise<void>;

export class Broker extends EventEmitter {
  private channels: BrokerChannels | undefined;
  private model: ChannelModel | undefined;
  private topology: Topology | undefined;
  private readonly setupListeners: SetupListener[] = [];
  private closing = false;
  /** Set when the worker closes the connection itself to start over: that loss is already logged. */
  private restarting = false;
  /** The broker refuses our publishes while it is short of memory or disk (connection.blocked). */
  private blockedReason: string | undefined;

  private constructor(
    private readonly connection: RecoveringChannelModel,
    private readonly log: Logger,
  ) {
    super();
  }

  /**
   * Connects, and keeps reconnecting after a loss. The first connection decides whether the
   * settings can work at all: a refusal that waiting cannot heal (login, virtual host, URL)
   * rejects with a SettingError naming AMQP_URL and the target (password masked); an unreachable
   * broker is retried (reported by RetryReporter) until it answers or `signal` aborts, which
   * rejects with the signal's reason. Socket connects time out after CONNECT_TIMEOUT_MS.
   */
  static async connect(url: string, topology: Topology, log: Logger, signal?: AbortSignal): Promise<Broker> {
    signal?.throwIfAborted();
    const target = amqpTarget(url);
    const reporter = new RetryReporter(log, target);
    let broker: Broker | undefined;
    log.info({ broker: target.url, host: target.host, vhost: target.vhost }, 'connecting to the broker');
    const connection = await amqp.connect(url, {
      timeout: CONNECT_TIMEOUT_MS,
      recovery: {
        initialDelay: 200,
        maxDelay: 5000,
        waitForConnect: false,
        setup: async (model: ChannelModel) => {
          await broker!.setup(model, topology);
        },
      },
    });
    broker = new Broker(connection, log);
    connection.on('disconnect', (err: Error) => broker!.lost(err));
    connection.on('connect', () => reporter.connected());
    // amqplib emits 'error' only before a 'disconnect', whose line carries the same error.
    connection.on('error', (err: Error) => log.debug({ err: err.message }, 'broker connection error'));
    connection.on('blocked', (reason: string) => {
      broker!.blockedReason = reason;
      log.error({ reason }, 'the broker blocked the connection (a memory or disk alarm): publishes wait until it unblocks');
    });
    connection.on('unblocked', () => {
      broker!.blockedReason = undefined;
      log.info('the broker unblocked the connection');
    });
    await new Promise<void>((resolve, reject) => {
      let first = true;
      const settle = (err?: unknown) => {
        if (!first) return;
        first = false;
        signal?.removeEventListener('abort', onAbort);
        if (err === undefined) return resolve();
        connection.close().catch(() => undefined);
        reject(err);
      };
      const onAbort = () => settle(signal!.reason);
      connection.on('connect-failed', (err: Error) => {
        const failure = classifyConnectFailure(err, target);
        if (first && !failure.healable) {
          settle(new SettingError('AMQP_URL', `AMQP_URL=${JSON.stringify(target.url)} cannot be used: ${failure.problem}`));
        } else {
          reporter.failed(failure.problem);
        }
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      connection.waitForConnect().then(() => settle(), (err: unknown) => settle(err ?? new Error('broker connection closed')));
    });
    return broker;
  }

  get connected(): boolean {
    return this.channels !== undefined;
  }

  get current(): BrokerChannels | undefined {
    return this.channels;
  }

  /** Why the broker blocked the connection (resource alarm), or undefined while it is not blocked. */
  get blocked(): string | undefined {
    return this.blockedReason;
  }

  /**
   * Declares the whole topology again on a channel of its own, e.g. after the broker cancelled a
   * consumer because its queue was deleted. Rejects when not connected or when the broker refuses.
   */
  async reassertTopology(): Promise<void> {
    const model = this.model;
    if (!model || !this.topology) throw new Error('broker not connected');
    const admin = await model.createChannel();
    admin.on('error', () => undefined); // the rejection below says what went wrong
    try {
      await assertTopology(admin, this.topology);
    } finally {
      await admin.close().catch(() => undefined);
    }
  }

  /** Called after every successful (re)connect, and at once if already connected. */
  async onSetup(listener: SetupListener): Promise<void> {
    this.setupListeners.push(listener);
    if (this.channels) await listener(this.channels);
  }

  async close(): Promise<void> {
    this.closing = true;
    this.channels = undefined;
    this.model = undefined;
    await this.connection.close().catch(() => undefined);
  }

  private async setup(model: ChannelModel, topology: Topology): Promise<void> {
    this.topology = topology;
    const admin = await model.createChannel();
    admin.on('error', () => undefined); // reported below, with what to do about it
    try {
      await assertTopology(admin, topology);
    } catch (err) {
      this.log.error(
        { err: (err as Error).message },
        'asserting the topology failed: a queue or exchange exists with other arguments (e.g. DELIVERY_LIMIT or the queue type changed). ' +
          'Delete it, or go back to its settings; reconnecting meanwhile',
      );
      throw err;
    }
    await admin.close();
    const consume = await model.createChannel();
    const deadLetters = await model.createChannel();
    const confirm: ConfirmChannel = await model.createConfirmChannel();
    const channels = { consume, deadLetters, publisher: new Publisher(confirm) };
    for (const ch of [consume, deadLetters, confirm]) {
      let closedWith: string | undefined;
      ch.on('error', (err: Error) => (closedWith = err.message)); // logged with the close, below
      // The broker closes a channel on a protocol error (an exchange deleted under a publish, an
      // unknown delivery tag): its consumer would be gone without a word. Start over instead:
      // closing the connection makes amqplib's recovery reconnect and run this setup again.
      // Looked at a turn later: when the whole connection went, its channels close first, and
      // the connection's loss (one line) has been noted by then.
      ch.on('close', () =>
        setImmediate(() => {
          if (this.closing || this.channels !== channels) return;
          this.channels = undefined;
          this.restarting = true;
          this.log.error({ err: closedWith }, 'the broker closed a channel; reconnecting');
          model.close().catch(() => undefined);
        }),
      );
    }
    this.channels = channels;
    this.model = model;
    this.blockedReason = undefined;
    try {
      for (const listener of this.setupListeners) await listener(channels);
    } catch (err) {
      // amqplib's recovery closes this connection and tries again; until then we are not connected.
      this.channels = undefined;
      this.model = undefined;
      this.log.error({ err: (err as Error).message }, 'subscribing after connecting failed; reconnecting');
      throw err;
    }
    this.log.info('broker connected; topology asserted');
    this.emit('connected');
  }

  private lost(err: Error): void {
    this.channels = undefined;
    this.model = undefined;
    const restarting = this.restarting;
    this.restarting = false;
    if (!restarting && !this.closing) this.log.warn({ err: err?.message }, 'broker connection lost; reconnecting');
    if (this.closing) return;
    this.emit('disconnected');
  }
}

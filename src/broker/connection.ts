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
  private readonly setupListeners: SetupListener[] = [];
  private closing = false;

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
    connection.on('error', (err: Error) => log.warn({ err: err.message }, 'broker connection error'));
    connection.on('blocked', (reason: string) => log.warn({ reason }, 'broker blocked the connection'));
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

  /** Called after every successful (re)connect, and at once if already connected. */
  async onSetup(listener: SetupListener): Promise<void> {
    this.setupListeners.push(listener);
    if (this.channels) await listener(this.channels);
  }

  async close(): Promise<void> {
    this.closing = true;
    this.channels = undefined;
    await this.connection.close().catch(() => undefined);
  }

  private async setup(model: ChannelModel, topology: Topology): Promise<void> {
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
      ch.on('error', (err: Error) => this.log.warn({ err: err.message }, 'broker channel error'));
      // The broker closes a channel on a protocol error (an exchange deleted under a publish, an
      // unknown delivery tag): its consumer would be gone without a word. Start over instead:
      // closing the connection makes amqplib's recovery reconnect and run this setup again.
      ch.on('close', () => {
        if (this.closing || this.channels !== channels) return;
        this.log.error('a broker channel was closed by the broker; reconnecting');
        model.close().catch(() => undefined);
      });
    }
    this.channels = channels;
    for (const listener of this.setupListeners) await listener(channels);
    this.log.info('broker connected; topology asserted');
    this.emit('connected');
  }

  private lost(err: Error): void {
    this.channels = undefined;
    if (this.closing) return;
    this.log.warn({ err: err?.message }, 'broker connection lost; reconnecting');
    this.emit('disconnected');
  }
}

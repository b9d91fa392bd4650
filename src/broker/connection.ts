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
  /** Set when the worker closes the connection itself to start over: that loss is already logged. */
  private restarting = false;

  private constructor(
    private readonly connection: RecoveringChannelModel,
    private readonly log: Logger,
  ) {
    super();
  }

  static async connect(url: string, topology: Topology, log: Logger): Promise<Broker> {
    let broker: Broker | undefined;
    const connection = await amqp.connect(url, {
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
    connection.on('connect-failed', (err: Error) => log.warn({ err: err.message }, 'broker connection attempt failed'));
    // amqplib emits 'error' only before a 'disconnect', whose line carries the same error.
    connection.on('error', (err: Error) => log.debug({ err: err.message }, 'broker connection error'));
    connection.on('blocked', (reason: string) => log.warn({ reason }, 'broker blocked the connection'));
    await connection.waitForConnect();
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
    for (const listener of this.setupListeners) await listener(channels);
    this.log.info('broker connected; topology asserted');
    this.emit('connected');
  }

  private lost(err: Error): void {
    this.channels = undefined;
    const restarting = this.restarting;
    this.restarting = false;
    if (!restarting && !this.closing) this.log.warn({ err: err?.message }, 'broker connection lost; reconnecting');
    if (this.closing) return;
    this.emit('disconnected');
  }
}

/**
 * One consumer of one queue, kept alive. RabbitMQ can take a consumer away without closing its
 * channel (the queue was deleted, a quorum queue lost its members): amqplib then calls the
 * consume callback with `null` and says nothing else, and a worker that ignores it stays
 * connected while consuming nothing. Here that is logged at error level, reported through
 * `active` (so /readyz turns 503), and repaired: the topology is declared again and the queue
 * subscribed again, with backoff, until it works or the connection is replaced (a reconnect
 * subscribes through `open`).
 *
 * The prefetch is per consumer in RabbitMQ (basic.qos applies to consumers started after it),
 * so `resize` starts a consumer with the new prefetch and then cancels the old one; deliveries
 * the old one already received stay valid and are acked as usual.
 */
import type { Channel, ConsumeMessage } from 'amqplib';
import type { Broker } from '../broker/connection.js';
import type { Logger } from '../logger.js';

export interface SubscriptionOptions {
  queue: string;
  broker: Broker;
  log: Logger;
  onMessage(channel: Channel, msg: ConsumeMessage): void;
  /** The prefetch to subscribe with after a broker-side cancel, in messages. */
  restartPrefetch(): number;
  /** Backoff between attempts to subscribe again, in milliseconds (first, largest). */
  backoffMs?: [number, number];
}

export class QueueSubscription {
  private channel: Channel | undefined;
  private consumerTag: string | undefined;
  private closed = false;

  constructor(private readonly options: SubscriptionOptions) {}

  /** True while a consumer of the queue is registered with the broker. */
  get active(): boolean {
    return !this.closed && this.consumerTag !== undefined;
  }

  /** Subscribes on a fresh channel, after every (re)connect. */
  async open(channel: Channel, prefetch: number): Promise<void> {
    this.channel = channel;
    this.consumerTag = undefined;
    if (this.closed) return;
    await this.consume(channel, prefetch);
  }

  /** The connection is gone, and with it the consumer. */
  lost(): void {
    this.channel = undefined;
    this.consumerTag = undefined;
  }

  /** Changes the live consumer's prefetch (messages): a new consumer first, then the old one cancelled. */
  async resize(prefetch: number): Promise<void> {
    const { channel, consumerTag: old } = this;
    if (!channel || !old || this.closed) return;
    await this.consume(channel, prefetch);
    await channel.cancel(old);
  }

  /** Stops taking deliveries for good; those already received can still be acked. */
  async close(): Promise<void> {
    this.closed = true;
    const { channel, consumerTag } = this;
    this.consumerTag = undefined;
    if (channel && consumerTag) await channel.cancel(consumerTag).catch(() => undefined);
  }

  private async consume(channel: Channel, prefetch: number): Promise<void> {
    await channel.prefetch(prefetch);
    let tag: string | undefined;
    const ok = await channel.consume(this.options.queue, (msg) => {
      if (msg) this.options.onMessage(channel, msg);
      else this.cancelledByBroker(channel, tag!);
    });
    tag = ok.consumerTag;
    if (this.channel === channel && !this.closed) this.consumerTag = tag;
    else await channel.cancel(tag).catch(() => undefined); // closed or replaced meanwhile
  }

  private cancelledByBroker(channel: Channel, tag: string): void {
    if (this.closed || this.channel !== channel || this.consumerTag !== tag) return;
    this.consumerTag = undefined;
    this.options.log.error(
      { queue: this.options.queue },
      `the broker cancelled the consumer of ${this.options.queue} (the queue was deleted or lost its members): nothing is consumed until it is subscribed again; declaring the topology again`,
    );
    void this.subscribeAgain(channel);
  }

  private async subscribeAgain(channel: Channel): Promise<void> {
    const [first, largest] = this.options.backoffMs ?? [200, 5000];
    let delay = first;
    for (let attempt = 1; !this.closed && this.channel === channel && !this.consumerTag; attempt++) {
      try {
        await this.options.broker.reassertTopology();
        await this.consume(channel, this.options.restartPrefetch());
        this.options.log.warn({ queue: this.options.queue, attempt }, `consuming ${this.options.queue} again`);
        return;
      } catch (err) {
        // A channel the broker closes (404) is replaced by a reconnect, which subscribes through open().
        if (this.channel !== channel) return;
        this.options.log.error({ queue: this.options.queue, attempt, retryInMs: delay, err: (err as Error).message }, `could not subscribe to ${this.options.queue} again`);
        await new Promise((resolve) => setTimeout(resolve, delay).unref());
        delay = Math.min(delay * 2, largest);
      }
    }
  }
}

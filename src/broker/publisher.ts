/**
 * Publishing with publisher confirms. A `mandatory` message that no queue takes comes back as a
 * basic.return before its confirm: that publish fails with UnroutableError instead of counting
 * as delivered.
 */
import type { ConfirmChannel, Message, Options } from 'amqplib';

export class UnroutableError extends Error {
  constructor(exchange: string, routingKey: string) {
    super(`no queue is bound to ${exchange} for routing key ${routingKey}`);
    this.name = 'UnroutableError';
  }
}

export interface PublishOptions {
  messageId: string;
  mandatory?: boolean;
  contentType?: string;
  headers?: Record<string, unknown>;
}

export class Publisher {
  private readonly returned = new Set<string>();

  constructor(private readonly channel: ConfirmChannel) {
    channel.on('return', (msg: Message) => {
      const id = msg.properties.messageId as string | undefined;
      if (id) this.returned.add(id);
    });
  }

  publish(exchange: string, routingKey: string, content: Buffer, options: PublishOptions): Promise<void> {
    const properties: Options.Publish = {
      persistent: true,
      messageId: options.messageId,
      contentType: options.contentType ?? 'application/cloudevents+json',
      mandatory: options.mandatory ?? false,
      headers: options.headers,
      timestamp: Math.floor(Date.now() / 1000),
    };
    return new Promise((resolve, reject) => {
      try {
        this.channel.publish(exchange, routingKey, content, properties, (err) => {
          const wasReturned = this.returned.delete(options.messageId);
          if (err) reject(err instanceof Error ? err : new Error(`publish to ${exchange} not confirmed: ${String(err)}`));
          else if (wasReturned) reject(new UnroutableError(exchange, routingKey));
          else resolve();
        });
      } catch (err) {
        // The channel is closed (connection lost): the caller retries later.
        reject(err);
      }
    });
  }

  sendToQueue(queue: string, content: Buffer, options: PublishOptions): Promise<void> {
    return this.publish('', queue, content, { ...options, mandatory: true });
  }
}

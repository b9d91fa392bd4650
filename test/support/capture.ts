/**
 * Listens where the integrations would: a queue bound to integration.commands and one to the
 * worker's own events on collab.events, collecting every message with its routing key.
 */
import amqp, { type ChannelModel, type ConsumeMessage } from 'amqplib';
import { waitFor } from './wait.js';

export interface Captured {
  routingKey: string;
  properties: ConsumeMessage['properties'];
  body: { specversion: string; id: string; source: string; type: string; time: string; traceparent?: string; tracestate?: string; data: Record<string, unknown> };
}

const WORKER_EVENTS = ['collaboration.invitation-sent', 'customer-admin.created', 'customer-admin.activated', 'collaboration.reminder-sent', 'collaboration.invitation-expired'];

export class MessageCapture {
  readonly commands: Captured[] = [];
  readonly events: Captured[] = [];
  private connection?: ChannelModel;

  async start(url: string): Promise<this> {
    this.connection = await amqp.connect(url);
    const ch = await this.connection.createChannel();
    await ch.assertExchange('integration.commands', 'topic', { durable: true });
    await ch.assertExchange('collab.events', 'topic', { durable: true });
    const commands = await ch.assertQueue('', { exclusive: true });
    await ch.bindQueue(commands.queue, 'integration.commands', '#');
    const events = await ch.assertQueue('', { exclusive: true });
    for (const type of WORKER_EVENTS) await ch.bindQueue(events.queue, 'collab.events', type);
    const collect = (into: Captured[]) => (msg: ConsumeMessage | null) => {
      if (!msg) return;
      into.push({ routingKey: msg.fields.routingKey, properties: msg.properties, body: JSON.parse(msg.content.toString('utf8')) });
    };
    await ch.consume(commands.queue, collect(this.commands), { noAck: true });
    await ch.consume(events.queue, collect(this.events), { noAck: true });
    return this;
  }

  async stop(): Promise<void> {
    await this.connection?.close();
  }

  waitForCommands(n: number, timeoutMs?: number): Promise<Captured[]> {
    return waitFor(() => this.commands.length >= n && this.commands, `${n} commands (have ${this.commands.length})`, timeoutMs);
  }

  waitForEvents(n: number, timeoutMs?: number): Promise<Captured[]> {
    return waitFor(() => this.events.length >= n && this.events, `${n} worker events (have ${this.events.length})`, timeoutMs);
  }
}

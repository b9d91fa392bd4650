/**
 * The whole broker topology as data: the contract's two exchanges, the worker's queues, the
 * retry queues (TTL + dead-letter, no plugin) and the dead-letter queue for poison messages.
 * `assertTopology` declares it all, idempotently, at every (re)connect.
 */
import type { Channel } from 'amqplib';

export const EVENTS_EXCHANGE = 'collab.events';
export const COMMANDS_EXCHANGE = 'integration.commands';
export const INCOMING_TYPES = ['collaboration.activated', 'collaboration.approved', 'collaboration.ended'] as const;

export interface ExchangeSpec {
  name: string;
  type: 'topic' | 'direct' | 'fanout';
}

export interface QueueSpec {
  name: string;
  arguments: Record<string, unknown>;
}

export interface BindingSpec {
  queue: string;
  exchange: string;
  routingKey: string;
}

export interface Topology {
  exchanges: ExchangeSpec[];
  queues: QueueSpec[];
  bindings: BindingSpec[];
  /** The queue the worker handles events from. */
  eventsQueue: string;
  /** Where poison messages land after the delivery limit: the worker records them as failed. */
  deadLetterQueue: string;
  retryExchange: string;
  /** Routing key of the retry queue for each delay, in the order of the retry schedule. */
  retryRoutes: { delayMs: number; routingKey: string }[];
}

export interface TopologyOptions {
  prefix: string;
  retryDelaysMs: number[];
  deliveryLimit: number;
}

export function buildTopology({ prefix, retryDelaysMs, deliveryLimit }: TopologyOptions): Topology {
  const eventsQueue = `${prefix}.events`;
  const deadLetterExchange = `${prefix}.dead-letter`;
  const deadLetterQueue = `${prefix}.dead-letter`;
  const retryExchange = `${prefix}.retry`;
  // At-least-once dead-lettering needs reject-publish overflow; both are quorum queue features.
  const quorum = { 'x-queue-type': 'quorum', 'x-overflow': 'reject-publish', 'x-dead-letter-strategy': 'at-least-once' };

  const retryRoutes = [...new Set(retryDelaysMs)].map((delayMs) => ({ delayMs, routingKey: `${delayMs}ms` }));
  const retryQueues: QueueSpec[] = retryRoutes.map(({ delayMs, routingKey }) => ({
    name: `${prefix}.retry.${routingKey}`,
    arguments: {
      ...quorum,
      'x-message-ttl': delayMs,
      // When the delay is over, the message goes back to the events queue by the default exchange.
      'x-dead-letter-exchange': '',
      'x-dead-letter-routing-key': eventsQueue,
    },
  }));

  return {
    exchanges: [
      { name: EVENTS_EXCHANGE, type: 'topic' },
      { name: COMMANDS_EXCHANGE, type: 'topic' },
      { name: retryExchange, type: 'direct' },
      { name: deadLetterExchange, type: 'fanout' },
    ],
    queues: [
      {
        name: eventsQueue,
        arguments: { ...quorum, 'x-delivery-limit': deliveryLimit, 'x-dead-letter-exchange': deadLetterExchange },
      },
      { name: deadLetterQueue, arguments: { 'x-queue-type': 'quorum' } },
      ...retryQueues,
    ],
    bindings: [
      ...INCOMING_TYPES.map((type) => ({ queue: eventsQueue, exchange: EVENTS_EXCHANGE, routingKey: type })),
      { queue: deadLetterQueue, exchange: deadLetterExchange, routingKey: '' },
      ...retryRoutes.map(({ routingKey }, i) => ({ queue: retryQueues[i]!.name, exchange: retryExchange, routingKey })),
    ],
    eventsQueue,
    deadLetterQueue,
    retryExchange,
    retryRoutes,
  };
}

export async function assertTopology(channel: Channel, topology: Topology): Promise<void> {
  for (const exchange of topology.exchanges) await channel.assertExchange(exchange.name, exchange.type, { durable: true });
  for (const queue of topology.queues) await channel.assertQueue(queue.name, { durable: true, arguments: queue.arguments });
  for (const b of topology.bindings) await channel.bindQueue(b.queue, b.exchange, b.routingKey);
}

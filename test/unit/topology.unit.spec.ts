import { describe, expect, it } from 'vitest';
import { buildTopology } from '../../src/broker/topology.js';

describe('topology', () => {
  const t = buildTopology({ prefix: 'cw', retryDelaysMs: [5000, 30000, 5000], deliveryLimit: 5 });

  it('declares the contract exchanges as durable topics', () => {
    expect(t.exchanges).toEqual(expect.arrayContaining([
      { name: 'collab.events', type: 'topic' },
      { name: 'integration.commands', type: 'topic' },
    ]));
  });

  it('consumes a quorum queue with an explicit delivery limit and at-least-once dead-lettering', () => {
    const events = t.queues.find((q) => q.name === 'cw.events')!;
    expect(events.arguments).toMatchObject({
      'x-queue-type': 'quorum',
      'x-delivery-limit': 5,
      'x-dead-letter-exchange': 'cw.dead-letter',
      'x-dead-letter-strategy': 'at-least-once',
      'x-overflow': 'reject-publish',
    });
    expect(t.bindings.filter((b) => b.queue === 'cw.events').map((b) => b.routingKey)).toEqual([
      'collaboration.activated', 'collaboration.approved', 'collaboration.ended',
    ]);
  });

  it('has one TTL retry queue per distinct delay, dead-lettering back to the events queue', () => {
    expect(t.retryRoutes).toEqual([{ delayMs: 5000, routingKey: '5000ms' }, { delayMs: 30000, routingKey: '30000ms' }]);
    const retry = t.queues.find((q) => q.name === 'cw.retry.30000ms')!;
    expect(retry.arguments).toMatchObject({ 'x-message-ttl': 30000, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': 'cw.events' });
  });
});

import { describe, expect, it } from 'vitest';
import { withoutBrokerHeaders } from '../../src/broker/headers.js';

describe('withoutBrokerHeaders', () => {
  it("drops the broker's dead-letter, delivery and federation bookkeeping, keeps everything else", () => {
    const headers = {
      'x-death': [{ queue: 'collab-worker.events', reason: 'delivery_limit', count: 1 }],
      'x-first-death-queue': 'collab-worker.events',
      'x-first-death-reason': 'delivery_limit',
      'x-first-death-exchange': 'collab.events',
      'x-last-death-queue': 'collab-worker.events',
      'X-Delivery-Count': 3,
      'x-received-from': [{ uri: 'amqp://upstream' }],
      'x-shovelled': [{}],
      'x-collab-routing-key': 'collaboration.approved',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      'x-deathly-custom': 'kept: only the exact names are the broker\'s',
    };
    expect(withoutBrokerHeaders(headers)).toEqual({
      'x-collab-routing-key': 'collaboration.approved',
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      'x-deathly-custom': "kept: only the exact names are the broker's",
    });
    expect(withoutBrokerHeaders(undefined)).toEqual({});
  });
});

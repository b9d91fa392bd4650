/**
 * A worker killed right after it connects, a few times in a row (a crash loop, a deploy gone
 * wrong), with a deep queue: the messages it held were returned each time, and RabbitMQ counts
 * every return towards the delivery limit. With a full prefetch at once, a thousand sound
 * messages were held at each kill and ended as poison. The prefetch starts small after every
 * subscribe and grows as batches commit, so only the few messages at the head of the queue are
 * held at such a kill.
 */
import amqp from 'amqplib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, fixtureJson, type Harness } from '../support/harness.js';
import { spawnWorker, workerEnv } from '../support/worker-process.js';
import { waitFor } from '../support/wait.js';

const EVENTS = 2000;
const KILLS = 3;
/** The first prefetch after a subscribe (src/intake/event-consumer.ts): what a kill at connect may hold. */
const FIRST_PREFETCH = 8;

let h: Harness;
beforeEach(async () => {
  // DELIVERY_LIMIT 2: a message held at all three kills is dead-lettered.
  h = await createHarness('restart-loop', { deliveryLimit: 2 });
});
afterEach(() => h.close());

function activation(i: number) {
  const base = fixtureJson('activated-payroll-has-service.json');
  return {
    ...base,
    id: `loop-${i}`,
    data: { ...base.data, collaborationId: `col-loop-${i}`, customer: { ...base.data.customer, contact: { ...base.data.customer.contact, email: `c${i}@loop.example` } } },
  };
}

describe('a worker killed right after it connects, again and again', () => {
  it('does not turn the sound messages it held into poison', { timeout: 240_000 }, async () => {
    const env = workerEnv(h.config, { DELIVERY_LIMIT: '2', BATCH_SIZE: '500' });
    // Declare the topology once, then queue everything before the crash loop starts.
    await (await spawnWorker(env)).kill('SIGTERM');
    const connection = await amqp.connect(h.vhost.url);
    const channel = await connection.createConfirmChannel();
    for (let i = 0; i < EVENTS; i++) {
      channel.publish('collab.events', 'collaboration.activated', Buffer.from(JSON.stringify(activation(i))), { persistent: true });
    }
    await channel.waitForConfirms();
    await connection.close();

    for (let k = 0; k < KILLS; k++) {
      const w = await spawnWorker(env); // returns once /readyz is 200: connected and consuming
      await w.kill('SIGKILL');
    }
    const last = await spawnWorker(env);
    try {
      await waitFor(async () => (await h.query('SELECT 1 FROM inbox')).length + (await h.query('SELECT 1 FROM failed_messages')).length >= EVENTS, 'every event handled or kept', 120_000);
      await waitFor(async () => (await h.query("SELECT 1 FROM outbox WHERE status != 'done'")).length === 0, 'the outbox to drain', 60_000);
    } finally {
      await last.kill('SIGTERM');
    }
    const poison = await h.query<{ reason: string; attempts: number }>("SELECT reason, attempts FROM failed_messages WHERE error_class = 'PoisonMessage'");
    const handled = (await h.query('SELECT 1 FROM inbox')).length;
    console.info(`restart-loop: ${EVENTS} activations, ${KILLS} kills right after connecting; ${handled} handled, ${poison.length} dead-lettered as poison`);
    // At most the first prefetch can have been held at every kill (the old full prefetch: 1,000).
    expect(poison.length).toBeLessThanOrEqual(FIRST_PREFETCH);
    expect(handled + poison.length).toBe(EVENTS);
    for (const p of poison) {
      expect(p.attempts).toBe(3);
      expect(p.reason).toMatch(/delivered 3 times .* in flight while the worker restarted/);
    }
    expect(new Set(h.smtp.received.map((m) => m.envelopeTo[0])).size).toBe(handled);
  });
});

/**
 * Retries follow the schedule; a message that keeps killing its consumer ends up failed after
 * the queue's delivery limit instead of looping; a stopping worker finishes what it holds.
 */
import amqp from 'amqplib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, fixture, fixtureJson, type Harness } from '../support/harness.js';
import { spawnWorker, workerEnv } from '../support/worker-process.js';
import { waitFor } from '../support/wait.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness('poison', { retryDelaysMs: [200, 400, 800], deliveryLimit: 2 });
});
afterEach(() => h.close());

const failedRows = () => h.query<{ error_class: string; reason: string; attempts: number; type: string; collaboration_id: string }>('SELECT * FROM failed_messages');

describe('retry schedule', () => {
  it('waits at least each delay of RETRY_DELAYS before giving up after the last', async () => {
    await h.startWorker();
    const approval = { ...fixtureJson('approved.json'), id: 'early', data: { collaborationId: 'col-late', approvedBy: { name: 'A', email: 'a@example.com' } } };
    const start = Date.now();
    await h.publish(approval);
    const [failed] = await waitFor(async () => {
      const rows = await failedRows();
      return rows.length > 0 && rows;
    }, 'the approval to fail');
    const elapsed = Date.now() - start;
    expect(failed).toMatchObject({ error_class: 'RetriesExhausted', attempts: 4, collaboration_id: 'col-late' });
    expect(elapsed).toBeGreaterThanOrEqual(200 + 400 + 800);
  });
});

describe('poison messages', () => {
  it('a message redelivered past the delivery limit is kept as failed, not looped', async () => {
    // Declare the topology, then take the worker away so that a consumer of our own can play
    // the crashing worker: it takes the message and lets it go back, again and again.
    await h.startWorker();
    await h.stopWorker();
    await h.publish(fixture('activated-scanner-has-account.json'));
    const connection = await amqp.connect(h.vhost.url);
    const channel = await connection.createChannel();
    let deliveries = 0;
    await channel.consume('collab-worker.events', (msg) => {
      if (!msg) return;
      deliveries++;
      channel.nack(msg, false, true);
    });
    await waitFor(async () => {
      const q = await (await connection.createChannel()).checkQueue('collab-worker.dead-letter');
      return q.messageCount === 1;
    }, 'the message to be dead-lettered');
    await connection.close();
    expect(deliveries).toBe(3); // the first delivery and two more: the limit is 2

    await h.startWorker();
    const [failed] = await waitFor(async () => {
      const rows = await failedRows();
      return rows.length > 0 && rows;
    }, 'the poison message to be recorded');
    expect(failed).toMatchObject({ error_class: 'PoisonMessage', type: 'collaboration.activated', collaboration_id: 'col-1002' });
    expect(failed!.reason).toMatch(/delivered 3 times \(the queue's delivery limit is 2\) and never settled/);
    expect(failed).toMatchObject({ attempts: 3 }); // the count of deliveries, as the consumer above saw them
    expect(h.smtp.received).toHaveLength(0);
  });
});

describe('SIGTERM', () => {
  it('stops cleanly and in time; what it had not taken is handled after restart, nothing lost', async () => {
    const env = workerEnv(h.config, { SHUTDOWN_TIMEOUT: '5s' });
    const worker = await spawnWorker(env);
    const connection = await amqp.connect(h.vhost.url);
    const channel = await connection.createConfirmChannel();
    const base = fixtureJson('activated-payroll-has-service.json');
    for (let i = 0; i < 100; i++) {
      const event = { ...base, id: `term-${i}`, data: { ...base.data, collaborationId: `col-term-${i}`, customer: { ...base.data.customer, contact: { ...base.data.customer.contact, email: `t${i}@term.example` } } } };
      channel.publish('collab.events', 'collaboration.activated', Buffer.from(JSON.stringify(event)), { persistent: true });
    }
    await channel.waitForConfirms();
    await connection.close();
    await h.smtp.waitForCount(10);
    const stoppedAt = Date.now();
    expect(await worker.kill('SIGTERM')).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(5000 + 2000);
    expect(worker.logs.some((l) => l.includes('"collab-worker stopped"'))).toBe(true);

    const again = await spawnWorker(env);
    try {
      await waitFor(async () => (await h.query('SELECT 1 FROM inbox')).length === 100, 'all 100 handled');
      await waitFor(async () => (await h.query("SELECT 1 FROM outbox WHERE status != 'done'")).length === 0, 'the outbox drained');
    } finally {
      await again.kill('SIGTERM');
    }
    expect(new Set(h.smtp.received.map((m) => m.envelopeTo[0])).size).toBe(100);
  });
});

/**
 * The broker takes a consumer away without closing its channel (the queue is deleted): amqplib
 * only calls the consume callback with null. The worker must say so, stop claiming it is ready,
 * declare its topology again and consume again by itself.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, fixture, type Harness } from '../support/harness.js';
import { deleteQueue, setPermissions } from '../support/rabbit.js';
import { spawnWorker, workerEnv, type WorkerProcess } from '../support/worker-process.js';
import { waitFor } from '../support/wait.js';

let h: Harness;
let worker: WorkerProcess | undefined;
beforeEach(async () => {
  h = await createHarness('cancel');
});
afterEach(async () => {
  await worker?.kill('SIGTERM');
  worker = undefined;
  await h.close();
});

const readyz = async (port: number) => {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const errorLines = (w: WorkerProcess, text: string) =>
  w.logs.filter((l) => l.includes(text)).map((l) => JSON.parse(l) as { level: number; queue: string });

describe('a consumer cancelled by the broker', () => {
  it('is logged at error level, /readyz is 503 until the worker consumes again by itself, and the next event is handled once', async () => {
    worker = await spawnWorker(workerEnv(h.config));
    expect((await readyz(worker.httpPort)).status).toBe(200);

    // The worker may not declare anything for now, so that the gap stays open long enough to see.
    setPermissions(h.vhost.name, '^$');
    deleteQueue(h.vhost.name, 'collab-worker.events');

    const cancelled = await waitFor(() => errorLines(worker!, 'the broker cancelled the consumer')[0], 'the cancel to be logged');
    expect(cancelled).toMatchObject({ level: 50, queue: 'collab-worker.events' });
    const notReady = await waitFor(async () => {
      const r = await readyz(worker!.httpPort);
      return r.status === 503 && r;
    }, '/readyz to turn 503');
    expect(notReady.body).toMatchObject({ ready: false, consuming: false, broker: 'connected' });
    await waitFor(() => errorLines(worker!, 'could not subscribe to collab-worker.events again').length >= 1, 'a failed attempt to subscribe again');
    expect((await readyz(worker.httpPort)).status).toBe(503);

    setPermissions(h.vhost.name, '.*');
    await waitFor(async () => (await readyz(worker!.httpPort)).status === 200, 'the worker to consume again by itself');
    // Log lines leave asynchronously: the line may follow the 200 by a moment.
    await waitFor(() => worker!.logs.some((l) => l.includes('consuming collab-worker.events again')), 'the worker to log that it consumes again');

    await h.publish(fixture('activated-scanner-has-account.json'));
    const [mail] = await h.smtp.waitForCount(1);
    expect(mail!.envelopeTo).toEqual(['sam@fjallbyggarna.example']);
    await waitFor(async () => (await h.query("SELECT 1 FROM outbox WHERE status != 'done'")).length === 0, 'the outbox to drain');
    expect(await h.query('SELECT id FROM inbox')).toHaveLength(1);
    expect(h.smtp.received).toHaveLength(1);
  });

  it('the dead-letter queue deleted: subscribed again, and a poison message is still recorded', async () => {
    worker = await spawnWorker(workerEnv(h.config));
    deleteQueue(h.vhost.name, 'collab-worker.dead-letter');
    await waitFor(() => errorLines(worker!, 'consuming collab-worker.dead-letter again').length > 0, 'the dead-letter queue to be consumed again');
    expect(errorLines(worker, 'the broker cancelled the consumer')[0]).toMatchObject({ level: 50, queue: 'collab-worker.dead-letter' });
    await waitFor(async () => (await readyz(worker!.httpPort)).status === 200, 'ready again');

    // Something dead-lettered now reaches the recreated queue and is kept as failed.
    await h.publishToQueue('collab-worker.dead-letter', fixture('activated-scanner-has-account.json'), {
      'x-death': [{ queue: 'collab-worker.events', reason: 'delivery_limit', count: 1, exchange: 'collab.events', 'routing-keys': ['collaboration.activated'] }],
    });
    await waitFor(async () => (await h.query("SELECT 1 FROM failed_messages WHERE error_class = 'PoisonMessage'")).length === 1, 'the poison message to be recorded');
  });
});

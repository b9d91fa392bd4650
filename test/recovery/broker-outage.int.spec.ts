/**
 * The broker drops the worker's connection (as a restart or a network cut would): /readyz
 * turns 503, the worker reconnects by itself, re-declares its topology and consumes again.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, fixture, type Harness } from '../support/harness.js';
import { closeConnections } from '../support/rabbit.js';
import { waitFor } from '../support/wait.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness('outage');
});
afterEach(() => h.close());

async function readyz(port: number): Promise<number> {
  return (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
}

describe('broker connection closed from the broker side', () => {
  it('reports not ready, reconnects, and handles messages again', async () => {
    const worker = await h.startWorker();
    const port = worker.httpPort;
    expect(await readyz(port)).toBe(200);
    await h.publish(fixture('activated-payroll-has-service.json'));
    await h.smtp.waitForCount(1);

    const seen: number[] = [];
    const watching = (async () => {
      // Record /readyz answers until it is 200 again after having been 503.
      for (;;) {
        const status = await readyz(port);
        seen.push(status);
        if (seen.includes(503) && status === 200) return;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const lostAt = Date.now();
    closeConnections(h.vhost.name);
    await waitFor(() => worker.broker.connected === false || seen.includes(503), 'the worker to notice the lost connection', 10_000);
    await watching;
    const recoveredMs = Date.now() - lostAt;
    expect(seen).toContain(503);
    expect(recoveredMs).toBeLessThan(30_000);

    await h.publish(fixture('activated-scanner-has-account.json'));
    const mails = await h.smtp.waitForCount(2);
    expect(mails[1]!.envelopeTo).toEqual(['sam@fjallbyggarna.example']);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^collab_broker_connected 1$/m);
    console.info(`broker-outage: connection closed by the broker; /readyz 503 for ${seen.filter((s) => s === 503).length} polls; ready again after ${recoveredMs} ms; 2 of 2 emails delivered`);
  });

  it('a channel the broker closes is replaced: the worker reconnects and consumes again', async () => {
    const worker = await h.startWorker();
    const channels = worker.broker.current!;
    // A passive declare of a queue that does not exist: the broker answers 404 by closing the channel.
    await expect(channels.consume.checkQueue('collab-worker.no-such-queue')).rejects.toThrow(/NOT_FOUND/);
    await waitFor(() => worker.broker.current !== undefined && worker.broker.current !== channels, 'new channels after the close', 10_000);
    await waitFor(async () => (await readyz(worker.httpPort)) === 200, 'ready again', 10_000);

    await h.publish(fixture('activated-scanner-has-account.json'));
    const mails = await h.smtp.waitForCount(1);
    expect(mails[0]!.envelopeTo).toEqual(['sam@fjallbyggarna.example']);
  });
});

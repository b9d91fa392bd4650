/**
 * What operators see: health, readiness, Prometheus metrics and one structured log line per
 * handled message, with no email address or token in full.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, fixture, type Harness } from '../support/harness.js';
import { spawnWorker, workerEnv } from '../support/worker-process.js';
import { waitFor } from '../support/wait.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness('ops');
});
afterEach(() => h.close());

const get = async (port: number, path: string) => {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
};

describe('health and metrics', () => {
  it('answers /healthz and /readyz, and counts messages, emails, publishes and failures in /metrics', async () => {
    const worker = await h.startWorker();
    const port = worker.httpPort;
    expect(await get(port, '/healthz')).toMatchObject({ status: 200 });
    expect(JSON.parse((await get(port, '/readyz')).body)).toEqual({ ready: true, broker: 'connected', database: 'reachable', consuming: true, prefetch: 8 });

    await h.publish(fixture('activated-digital-invoices-new.json'));
    await h.publish(fixture('invalid/truncated-json.txt'), 'collaboration.activated');
    await h.smtp.waitForCount(1);
    await h.capture.waitForEvents(2);
    // Counted when recorded: outcomes are written in groups, up to 100 ms after they happened.
    const counted = [
      /collab_published_total\{type="collaboration.invitation-sent",result="confirmed"\} 1/,
      /collab_published_total\{type="subscription.service.activate",result="confirmed"\} 1/,
      /collab_emails_total\{kind="admin-welcome",result="sent"\} 1/,
    ];
    await waitFor(async () => {
      const metrics = (await get(port, '/metrics')).body;
      return counted.every((c) => c.test(metrics));
    }, 'the publish and the email to be counted');

    const { status, body } = await get(port, '/metrics');
    expect(status).toBe(200);
    expect(body).toMatch(/^collab_messages_total\{type="collaboration.activated",outcome="acked"\} 1$/m);
    expect(body).toMatch(/^collab_messages_total\{type="collaboration.activated",outcome="failed"\} 1$/m); // not JSON, but its routing key names the type
    expect(body).toMatch(/^collab_emails_total\{kind="admin-welcome",result="sent"\} 1$/m);
    expect(body).toMatch(/^collab_published_total\{type="subscription.service.activate",result="confirmed"\} 1$/m);
    expect(body).toMatch(/^collab_message_handling_seconds_count\{type="collaboration.activated"\} 2$/m);
    // Where the time went: each delivery's wait for its batch, each batch's transaction, each attempt.
    expect(body).toMatch(/^collab_batch_wait_seconds_count 2$/m);
    expect(body).toMatch(/^collab_batch_commit_seconds_count [12]$/m);
    expect(body).toMatch(/^collab_outbox_attempt_seconds_count\{channel="email"\} 1$/m);
    expect(Number(/^collab_outbox_attempt_seconds_sum\{channel="email"\} (\S+)$/m.exec(body)?.[1])).toBeGreaterThan(0);
    expect(body).toMatch(/^collab_broker_connected 1$/m);
    expect(body).toMatch(/^collab_outbox_pending \d+$/m);
    expect(body).toMatch(/^collab_outbox_oldest_age_seconds /m);
    expect(body).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(body).toMatch(/^collab_failed_messages\{status="failed"\} \d+$/m);
    expect(await get(port, '/nope')).toMatchObject({ status: 404 });
  });

  it('/readyz is 503 without a broker connection', async () => {
    const worker = await h.startWorker({ roles: ['dispatch'] });
    // A dispatch-only worker is ready while connected, and not once the connection is gone.
    expect((await get(worker.httpPort, '/readyz')).status).toBe(200);
    await worker.broker.close();
    expect((await get(worker.httpPort, '/readyz')).status).toBe(503);
  });
});

describe('logs', () => {
  it('one JSON line per handled message, with id, collaboration, type, outcome and duration; addresses masked', async () => {
    const worker = await spawnWorker(workerEnv(h.config));
    try {
      await h.publish(fixture('activated-digital-invoices-new.json'));
      await h.smtp.waitForCount(1);
      await waitFor(() => worker.logs.some((l) => l.includes('"message handled"')), 'the handled-message log line');
    } finally {
      await worker.kill('SIGTERM');
    }
    const lines = worker.logs.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const handled = lines.filter((l) => l.msg === 'message handled');
    expect(handled).toHaveLength(1);
    expect(handled[0]).toMatchObject({
      eventId: '6f0d2c1e-8a57-4b5e-9a51-1d2f3a4b5c01',
      collaborationId: 'col-1001',
      type: 'collaboration.activated',
      outcome: 'acked',
      durationMs: expect.any(Number),
    });
    const all = worker.logs.join('\n');
    expect(all).not.toContain('karin.berg@');
    expect(all).not.toContain('anna.andersson@');
    expect(all).not.toMatch(/token=(?!\*\*\*)/);
    expect(lines.some((l) => l.msg === 'collab-worker stopped')).toBe(true);
  });
});

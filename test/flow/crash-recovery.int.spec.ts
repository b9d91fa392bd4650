/**
 * A worker killed with SIGKILL after committing but before delivering: the restarted worker
 * delivers what was pending, exactly once.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STORE_KINDS } from '../support/stores.js';
import { createHarness, fixture, type Harness } from '../support/harness.js';
import { spawnWorker, workerEnv } from '../support/worker-process.js';
import { waitFor } from '../support/wait.js';

let h: Harness;

describe.each(STORE_KINDS)('with the %s store', (store) => {
  beforeEach(async () => {
    h = await createHarness('crash', {}, store);
  });
  afterEach(() => h.close());

  describe('SIGKILL between commit and delivery', () => {
    it('delivers every pending email, command and event exactly once after restart', async () => {
      // A consume-only worker commits state and outbox rows but delivers nothing: the state a
      // crash right after the commit leaves behind.
      const consumer = await spawnWorker(workerEnv(h.config, { WORKER_ROLES: 'consume' }));
      for (const file of ['activated-digital-invoices-new.json', 'activated-scanner-has-account.json', 'activated-payroll-has-service.json']) {
        await h.publish(fixture(file));
      }
      await waitFor(async () => (await h.query('SELECT * FROM inbox')).length === 3, 'three events committed');
      // 3 emails + 2 activation commands + 3 invitation-sent + 1 customer-admin.created
      const pending = await h.query<{ channel: string }>("SELECT channel FROM outbox WHERE status = 'pending'");
      expect(pending).toHaveLength(9);
      expect(await consumer.kill('SIGKILL')).toBe(null);
      expect(h.smtp.received).toHaveLength(0);
      expect(h.capture.commands).toHaveLength(0);

      const restarted = await spawnWorker(workerEnv(h.config));
      try {
        await h.smtp.waitForCount(3);
        await h.capture.waitForCommands(2);
        await h.capture.waitForEvents(4);
        await waitFor(async () => (await h.query("SELECT * FROM outbox WHERE status != 'done'")).length === 0, 'the outbox to be empty');
      } finally {
        await restarted.kill('SIGTERM');
      }
      expect(h.smtp.received.map((m) => m.envelopeTo[0]).sort()).toEqual([
        'karin.berg@kaffekoppen.example', 'orjan@akeri-ostlund.example', 'sam@fjallbyggarna.example',
      ]);
      expect(h.capture.commands).toHaveLength(2);
      expect(new Set(h.capture.commands.map((c) => c.body.id)).size).toBe(2);
      expect(h.capture.events).toHaveLength(4);
    });
  });
});

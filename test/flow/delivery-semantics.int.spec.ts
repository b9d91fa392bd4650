/**
 * Once and only once, whatever order and however often the broker delivers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STORE_KINDS } from '../support/stores.js';
import { createHarness, fixture, fixtureJson, type Harness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

let h: Harness;

describe.each(STORE_KINDS)('with the %s store', (store) => {
  beforeEach(async () => {
    h = await createHarness('semantics', {}, store);
    await h.startWorker();
  });
  afterEach(() => h.close());

  describe('the same event delivered twice', () => {
    it('has one effect: one email, one command, one set of events, one inbox row', async () => {
      await h.publish(fixture('activated-scanner-has-account.json'));
      await h.publish(fixture('activated-scanner-has-account.json'));
      await h.smtp.waitForCount(1);
      await h.capture.waitForCommands(1);
      // Both deliveries are settled once the inbox has the event and the duplicate was counted.
      await waitFor(async () => {
        const text = await h.worker!.metrics.registry.getSingleMetricAsString('collab_messages_total');
        return /outcome="duplicate"[^\n]* 1/.test(text);
      }, 'the second delivery to be recognised as a duplicate');
      await h.stopWorker(); // drains the outbox: anything extra would be sent by now
      expect(h.smtp.received).toHaveLength(1);
      expect(h.capture.commands).toHaveLength(1);
      expect(h.capture.events.map((e) => e.routingKey)).toEqual(['collaboration.invitation-sent']);
      expect(await h.query('SELECT * FROM inbox')).toHaveLength(1);
    });
  });

  describe('an approval that overtakes its activation', () => {
    it('is retried after a delay and applied once the activation has arrived', async () => {
      await h.publish(fixture('approved.json'));
      // The approval has been put on a retry queue at least once before the activation exists.
      await waitFor(async () => {
        const text = await h.worker!.metrics.registry.getSingleMetricAsString('collab_messages_total');
        return /type="collaboration.approved",outcome="retried"/.test(text);
      }, 'the approval to be scheduled for retry');
      expect(await h.query('SELECT * FROM collaborations')).toHaveLength(0);

      await h.publish(fixture('activated-digital-invoices-new.json'));
      const commands = await h.capture.waitForCommands(2);
      expect(commands.map((c) => c.routingKey)).toEqual(['subscription.service.activate', 'bookkeeping-invoicing.einvoice-receipt.enable']);
      const [row] = await h.query<{ state: string }>('SELECT state FROM collaborations WHERE id = ?', ['col-1001']);
      expect(row!.state).toBe('active');
      await h.smtp.waitForCount(2);
      expect(h.smtp.received.map((m) => m.envelopeTo[0]).sort()).toEqual(['anna.andersson@byran-norr.example', 'karin.berg@kaffekoppen.example']);
    });

    it('is kept as failed once the retries run out', async () => {
      const approval = { ...fixtureJson('approved.json'), id: 'orphan', data: { collaborationId: 'col-never', approvedBy: { name: 'X', email: 'x@example.com' } } };
      await h.publish(approval);
      const [failed] = await waitFor(async () => {
        const rows = await h.query<{ reason: string; error_class: string; attempts: number; collaboration_id: string; type: string }>('SELECT * FROM failed_messages');
        return rows.length > 0 && rows;
      }, 'the approval to be given up on');
      expect(failed).toMatchObject({ error_class: 'RetriesExhausted', attempts: 4, collaboration_id: 'col-never', type: 'collaboration.approved' });
      expect(failed!.reason).toMatch(/col-never is not known yet/);
    });
  });
});

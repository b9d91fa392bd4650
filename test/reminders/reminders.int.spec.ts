/**
 * Reminders and expiry with an injected clock: no sleeping, days pass by assignment.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STORE_KINDS } from '../support/stores.js';
import { createHarness, fixture, fixtureJson, type Harness } from '../support/harness.js';
import { runCli } from '../support/cli.js';
import { workerEnv } from '../support/worker-process.js';
import { waitFor } from '../support/wait.js';
import { runReminderPass } from '../../src/reminders/reminder-pass.js';
import { createLogger } from '../../src/logger.js';
import { hashToken } from '../../src/admin/activation-token.js';

const DAY = 86_400_000;
const T0 = new Date('2026-11-22T09:00:00Z').getTime();

let h: Harness;
let now = T0;
const clock = () => new Date(now);
const policy = { reminderDays: [3, 7], invitationExpiryDays: 14 };
const log = createLogger('silent');


/**
 * Days pass by assignment, so a delivery in flight when the clock jumps would find its own lease
 * run out and be sent again: the clock moves only once the outbox is drained.
 */
async function pass(atMs: number) {
  await waitFor(async () => (await h.query("SELECT 1 FROM outbox WHERE status = 'pending'")).length === 0, 'the outbox to drain before the clock moves');
  now = atMs;
  const result = await runReminderPass(h.worker!.store, policy, new Date(atMs), log);
  h.worker!.wakeDispatcher();
  return result;
}

async function activate(file = 'activated-scanner-has-account.json') {
  await h.publish(fixture(file));
  await h.smtp.waitForCount(h.smtp.received.length + 1);
}

function reminderEvents() {
  return h.capture.events.filter((e) => e.routingKey === 'collaboration.reminder-sent');
}

describe.each(STORE_KINDS)('with the %s store', (store) => {
  beforeEach(async () => {
    now = T0;
    h = await createHarness('reminders', {}, store);
    await h.startWorker({}, clock);
  });
  afterEach(() => h.close());

  describe('reminders', () => {
    it('are sent at the configured days and not before, each once, then the invitation expires', async () => {
      await activate();
      expect((await pass(T0 + 3 * DAY - 60_000)).reminders).toEqual([]);

      expect((await pass(T0 + 3 * DAY)).reminders).toEqual([{ collaborationId: 'col-1002', number: 1 }]);
      const [, reminder] = await h.smtp.waitForCount(2);
      expect(reminder!.envelopeTo).toEqual(['sam@fjallbyggarna.example']);
      expect(reminder!.parsed.headers.get('content-language')).toBe('en, sv');
      await h.capture.waitForEvents(2);
      expect(reminderEvents().map((e) => e.body.data)).toEqual([{ collaborationId: 'col-1002', reminderNumber: 1 }]);

      // the same instant again, and a later instant before day 7: nothing
      expect((await pass(T0 + 3 * DAY)).reminders).toEqual([]);
      expect((await pass(T0 + 6 * DAY)).reminders).toEqual([]);
      expect((await pass(T0 + 7 * DAY)).reminders).toEqual([{ collaborationId: 'col-1002', number: 2 }]);
      await h.smtp.waitForCount(3);

      expect(await pass(T0 + 14 * DAY - 1)).toEqual({ reminders: [], expired: [] });
      expect((await pass(T0 + 14 * DAY)).expired).toEqual(['col-1002']);
      const [, , , expired] = await h.smtp.waitForCount(4);
      expect(expired!.envelopeTo).toEqual(['erik@siffror.example']);
      await waitFor(() => h.capture.events.some((e) => e.routingKey === 'collaboration.invitation-expired'), 'the expiry event');
      const expiredEvent = h.capture.events.find((e) => e.routingKey === 'collaboration.invitation-expired')!;
      expect(expiredEvent.body.data).toEqual({ collaborationId: 'col-1002', expiredAt: new Date(T0 + 14 * DAY).toISOString() });
      expect(await pass(T0 + 30 * DAY)).toEqual({ reminders: [], expired: [] });
      await h.stopWorker();
      expect(h.smtp.received).toHaveLength(4);
      expect(reminderEvents()).toHaveLength(2);
    });

    it('stop when the collaboration is approved or ended', async () => {
      await activate('activated-scanner-has-account.json');
      await activate('activated-payroll-has-service.json');
      await h.publish({ ...fixtureJson('approved.json'), id: 'a-1002', data: { collaborationId: 'col-1002', approvedBy: { name: 'Sam', email: 'sam@fjallbyggarna.example' } } });
      await h.publish({ ...fixtureJson('ended.json'), id: 'e-1003', data: { collaborationId: 'col-1003', endedBy: 'customer' } });
      await waitFor(async () => (await h.query("SELECT * FROM collaborations WHERE state = 'pending'")).length === 0, 'both to leave pending');
      expect(await pass(T0 + 3 * DAY)).toEqual({ reminders: [], expired: [] });
      expect(await pass(T0 + 15 * DAY)).toEqual({ reminders: [], expired: [] });
    });

    it('a late approval of an expired invitation still activates the collaboration', async () => {
      await activate('activated-digital-invoices-new.json');
      expect((await pass(T0 + 14 * DAY)).expired).toEqual(['col-1001']);
      await h.publish(fixture('approved.json'));
      const commands = await h.capture.waitForCommands(2);
      expect(commands[1]!.routingKey).toBe('bookkeeping-invoicing.einvoice-receipt.enable');
      const [row] = await h.query<{ state: string }>('SELECT state FROM collaborations');
      expect(row!.state).toBe('active');
    });

    it('the activation link works once before expiry, and not at all after it', async () => {
      await activate('activated-digital-invoices-new.json');
      await h.publish({ ...fixtureJson('activated-digital-invoices-new.json'), id: 'second-new', data: { ...fixtureJson('activated-digital-invoices-new.json').data, collaborationId: 'col-2001' } });
      await h.smtp.waitForCount(2);
      const tokens = h.smtp.received.map((m) => decodeURIComponent(/token=([A-Za-z0-9_%-]+)/.exec(m.parsed.text ?? '')![1]!));
      const redeem = (token: string, at: number) => h.worker!.store.transaction((tx) => tx.customerAdmins.redeemToken(hashToken(token), at));

      expect(await redeem(tokens[0]!, T0 + DAY)).toBeTruthy();
      expect(await redeem(tokens[0]!, T0 + DAY)).toBeUndefined();

      expect((await pass(T0 + 14 * DAY)).expired.sort()).toEqual(['col-1001', 'col-2001']);
      expect(await redeem(tokens[1]!, T0 + 14 * DAY + 1)).toBeUndefined();
    });

    it('a late pass sends only the latest due reminder, not every one it missed', async () => {
      await activate();
      expect((await pass(T0 + 8 * DAY)).reminders).toEqual([{ collaborationId: 'col-1002', number: 2 }]);
      expect((await pass(T0 + 9 * DAY)).reminders).toEqual([]);
    });

    it('through the CLI: three processes at the same instant send each reminder once, and invitations list shows it', async () => {
      await activate();
      await activate('activated-payroll-has-service.json');
      const env = workerEnv(h.config);
      const at = new Date(T0 + 3 * DAY).toISOString();
      const runs = await Promise.all([1, 2, 3].map(() => runCli(['reminders', 'run', '--at', at, '--json'], env)));
      for (const run of runs) expect(run.code, run.stderr).toBe(0);
      const sent = runs.flatMap((run) => (JSON.parse(run.stdout) as { reminders: { collaborationId: string }[] }).reminders.map((x) => x.collaborationId));
      expect(sent.sort()).toEqual(['col-1002', 'col-1003']);
      expect(await h.query("SELECT id FROM outbox WHERE topic = 'reminder'")).toHaveLength(2);
      h.worker!.wakeDispatcher();
      await h.smtp.waitForCount(4);

      const list = await runCli(['invitations', 'list', '--pending', '--json'], env);
      expect(list.code, list.stderr).toBe(0);
      const rows = JSON.parse(list.stdout) as { collaborationId: string; remindersSent: number; nextDueAt: string; state: string }[];
      expect(rows.map((r) => [r.collaborationId, r.state, r.remindersSent, r.nextDueAt]).sort()).toEqual([
        ['col-1002', 'pending', 1, new Date(T0 + 7 * DAY).toISOString()],
        ['col-1003', 'pending', 1, new Date(T0 + 7 * DAY).toISOString()],
      ]);

      // a restart between passes changes nothing: the state is in the database
      await h.stopWorker();
      await h.startWorker({}, clock);
      const again = await runCli(['reminders', 'run', '--at', at, '--json'], env);
      expect(JSON.parse(again.stdout).reminders).toEqual([]);
      await h.stopWorker();
      expect(h.smtp.received).toHaveLength(4);
    });
  });
});

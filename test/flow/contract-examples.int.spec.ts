/**
 * The contract's example messages, end to end through a real RabbitMQ, a real SMTP server and
 * a real SQLite file: exactly the emails, commands and events the contract says.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STORE_KINDS } from '../support/stores.js';
import { createHarness, fixture, fixtureJson, type Harness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';
import type { Captured } from '../support/capture.js';

let h: Harness;

const BASE = (collaborationId: string, customerId: string, customerOrgNumber: string, agencyId: string) => ({
  collaborationId, customerId, customerOrgNumber, agencyId,
});

function expectWorkerEnvelope(m: Captured, type: string) {
  expect(m.routingKey).toBe(type);
  expect(m.body.type).toBe(type);
  expect(m.body.specversion).toBe('1.0');
  expect(m.body.source).toBe('/collab-worker');
  expect(m.body.id).toMatch(/^[0-9a-f-]{36}$/);
  expect(m.properties.messageId).toBe(m.body.id);
  expect(m.properties.deliveryMode).toBe(2);
  expect(m.properties.contentType).toBe('application/cloudevents+json');
}

/** Every row of every table, as text: what a reader of the database (or a backup) would see. */
async function everyStoredValue(): Promise<string> {
  const store = await h.store.open();
  const values: string[] = [];
  try {
    await store.exportRows(async (_, rows) => {
      for (const row of rows) for (const value of Object.values(row)) values.push(Buffer.isBuffer(value) ? value.toString('utf8') : String(value));
    });
  } finally {
    await store.close();
  }
  expect(values.length).toBeGreaterThan(0);
  return values.join('\n');
}

function byType(list: Captured[], type: string): Captured[] {
  return list.filter((m) => m.routingKey === type);
}

describe.each(STORE_KINDS)('with the %s store', (store) => {
  beforeEach(async () => {
    h = await createHarness('examples', {}, store);
    await h.startWorker();
  });
  afterEach(() => h.close());

  describe('collaboration.activated for a new customer (digital invoices, Spiris, Swedish)', () => {
    it('creates the administrator, mails the welcome with a working single-use link, and publishes the activation command and events', async () => {
      await h.publish(fixture('activated-digital-invoices-new.json'));
      const [mail] = await h.smtp.waitForCount(1);
      await h.capture.waitForCommands(1);
      await h.capture.waitForEvents(2);

      // the welcome email
      expect(h.smtp.received).toHaveLength(1);
      expect(mail!.envelopeTo).toEqual(['karin.berg@kaffekoppen.example']);
      expect(mail!.parsed.to).toMatchObject({ value: [{ address: 'karin.berg@kaffekoppen.example', name: 'Karin Berg' }] });
      expect(mail!.parsed.headers.get('content-language')).toBe('sv, en');
      const link = /https:\/\/spiris\.se\/activate\?token=([A-Za-z0-9_%-]+)/.exec(mail!.parsed.text ?? '');
      expect(link, 'activation link in the text part').not.toBeNull();
      // in the HTML the same link is the button's href, with `=` as an HTML entity
      expect(String(mail!.parsed.html).replaceAll('&#x3D;', '=')).toContain(`href="${link![0]}"`);
      const token = decodeURIComponent(link![1]!);

      // the administrator: stored once, token only as its hash
      const admins = await h.query<{ email: string; first_name: string; token_hash: string; token_expires_at: number; activated_at: number | null }>(
        'SELECT * FROM customer_admins',
      );
      expect(admins).toHaveLength(1);
      expect(admins[0]).toMatchObject({ email: 'karin.berg@kaffekoppen.example', first_name: 'Karin', activated_at: null });
      expect(admins[0]!.token_hash).toBe(crypto.createHash('sha256').update(token).digest('hex'));
      expect(admins[0]!.token_expires_at).toBeGreaterThan(Date.now());
      await h.stopWorker(); // SQLite: flush the WAL so the file holds everything
      if (store === 'sqlite') expect(fs.readFileSync(h.config.databasePath).includes(token)).toBe(false);
      expect(await everyStoredValue()).not.toContain(token);

      // the service activation command
      const [command] = h.capture.commands;
      expectWorkerEnvelope(command!, 'subscription.service.activate');
      expect(command!.body.data).toEqual({
        ...BASE('col-1001', 'cust-5001', '559000-1234', 'agency-17'),
        brand: 'spiris',
        taskId: 'task-2026-0042',
        service: { code: 'digital-invoices', customerProduct: 'bookkeeping-invoicing', paymentRecipient: 'agency', sendAllInvoices: true, receiveInvoices: true },
      });

      // the worker's events
      const [created] = byType(h.capture.events, 'customer-admin.created');
      expectWorkerEnvelope(created!, 'customer-admin.created');
      expect(created!.body.data).toMatchObject({ collaborationId: 'col-1001', customerId: 'cust-5001', email: 'karin.berg@kaffekoppen.example' });
      expect(JSON.stringify(created!.body)).not.toContain(token);
      const [sent] = byType(h.capture.events, 'collaboration.invitation-sent');
      expectWorkerEnvelope(sent!, 'collaboration.invitation-sent');
      expect(sent!.body.data).toMatchObject({ collaborationId: 'col-1001', invitationKind: 'admin-welcome' });
      expect(h.capture.events).toHaveLength(2);
    });

    it('on approval publishes the e-invoice receipt command and tells the agency user; on end disables it and tells both', async () => {
      await h.publish(fixture('activated-digital-invoices-new.json'));
      await h.smtp.waitForCount(1);
      await h.publish(fixture('approved.json'));
      await h.capture.waitForCommands(2);
      await h.smtp.waitForCount(2);

      const enable = h.capture.commands[1]!;
      expectWorkerEnvelope(enable, 'bookkeeping-invoicing.einvoice-receipt.enable');
      expect(enable.body.data).toEqual({ ...BASE('col-1001', 'cust-5001', '559000-1234', 'agency-17'), paymentRecipient: 'agency' });
      const approvedMail = h.smtp.received[1]!;
      expect(approvedMail.envelopeTo).toEqual(['anna.andersson@byran-norr.example']);
      expect(approvedMail.parsed.headers.get('content-language')).toBe('sv, en');
      const [state] = await h.query<{ state: string }>('SELECT state FROM collaborations WHERE id = ?', ['col-1001']);
      expect(state!.state).toBe('active');

      await h.publish(fixture('ended.json'));
      await h.capture.waitForCommands(3);
      await h.smtp.waitForCount(4);
      const disable = h.capture.commands[2]!;
      expectWorkerEnvelope(disable, 'bookkeeping-invoicing.einvoice-receipt.disable');
      expect(disable.body.data).toEqual(BASE('col-1001', 'cust-5001', '559000-1234', 'agency-17'));
      const endedTo = h.smtp.received.slice(2).flatMap((m) => m.envelopeTo).sort();
      expect(endedTo).toEqual(['anna.andersson@byran-norr.example', 'karin.berg@kaffekoppen.example']);
      const [ended] = await h.query<{ state: string }>('SELECT state FROM collaborations WHERE id = ?', ['col-1001']);
      expect(ended!.state).toBe('ended');
    });
  });

  describe('collaboration.activated for a customer with an account (Scanner, Visma, English)', () => {
    it('sends the invitation in English first, activates the service, and connects the scanner on approval', async () => {
      await h.publish(fixture('activated-scanner-has-account.json'));
      const [mail] = await h.smtp.waitForCount(1);
      const [activate] = await h.capture.waitForCommands(1);
      await h.capture.waitForEvents(1);

      expect(mail!.envelopeTo).toEqual(['sam@fjallbyggarna.example']);
      expect(mail!.parsed.headers.get('content-language')).toBe('en, sv');
      expect(mail!.parsed.html).toContain('vismaspcs.se');
      expectWorkerEnvelope(activate!, 'subscription.service.activate');
      expect(activate!.body.data).toEqual({
        ...BASE('col-1002', 'cust-7310', '556777-0001', 'agency-3'),
        brand: 'visma', taskId: 'task-88', service: { code: 'scanner', agencyProduct: 'administration' },
      });
      expect(h.capture.events.map((e) => e.routingKey)).toEqual(['collaboration.invitation-sent']);
      expect(h.capture.events[0]!.body.data).toMatchObject({ collaborationId: 'col-1002', invitationKind: 'invitation' });
      expect(await h.query('SELECT * FROM customer_admins')).toHaveLength(0);

      const approval = { ...fixtureJson('approved.json'), id: 'approve-1002', data: { collaborationId: 'col-1002', approvedBy: { name: 'Sam Wilson', email: 'sam@fjallbyggarna.example' } } };
      await h.publish(approval);
      const commands = await h.capture.waitForCommands(2);
      expectWorkerEnvelope(commands[1]!, 'administration.scanner.connect');
      expect(commands[1]!.body.data).toEqual(BASE('col-1002', 'cust-7310', '556777-0001', 'agency-3'));
      const [, approvedMail] = await h.smtp.waitForCount(2);
      expect(approvedMail!.envelopeTo).toEqual(['erik@siffror.example']);
    });
  });

  describe('collaboration.activated for a customer who has the service (payroll, Payslip only)', () => {
    it('sends only the invitation (no activation command) and enables the payroll add-ons on approval', async () => {
      await h.publish(fixture('activated-payroll-has-service.json'));
      const [mail] = await h.smtp.waitForCount(1);
      await h.capture.waitForEvents(1);
      expect(mail!.envelopeTo).toEqual(['orjan@akeri-ostlund.example']);
      expect(mail!.parsed.headers.get('content-language')).toBe('sv, en');
      expect(h.capture.events[0]!.routingKey).toBe('collaboration.invitation-sent');

      const approval = { ...fixtureJson('approved.json'), id: 'approve-1003', data: { collaborationId: 'col-1003', approvedBy: { name: 'Örjan Östlund', email: 'orjan@akeri-ostlund.example' } } };
      await h.publish(approval);
      const [enable] = await h.capture.waitForCommands(1);
      expectWorkerEnvelope(enable!, 'payroll.digital-addons.enable');
      expect(enable!.body.data).toEqual({ ...BASE('col-1003', 'cust-5100', '556000-9876', 'agency-17'), payrollProduct: 'lon-600', scope: 'payslip-only' });
      await h.smtp.waitForCount(2);
      // nothing but the approval's command was published: no activation command for has-service
      expect(h.capture.commands).toHaveLength(1);
    });
  });

  describe('invalid messages', () => {
    it.each([
      ['missing-task.json', /taskId/],
      ['payslip-as-service-code.json', /payslip/],
      ['truncated-json.txt', /JSON/],
    ])('%s is kept as failed with a reason that names the problem, and the next message is handled', async (file, reason) => {
      await h.publish(fixture(`invalid/${file}`), 'collaboration.activated');
      await h.publish(fixture('activated-payroll-has-service.json'));
      await h.smtp.waitForCount(1);
      const failed = await waitFor(async () => {
        const rows = await h.query<{ reason: string; status: string; error_class: string; attempts: number; body: Buffer }>('SELECT * FROM failed_messages');
        return rows.length > 0 && rows;
      }, 'a failed message');
      expect(failed).toHaveLength(1);
      expect(failed[0]!.reason).toMatch(reason);
      expect(failed[0]!).toMatchObject({ status: 'failed', error_class: 'InvalidMessage', attempts: 1 });
      expect(Buffer.from(failed[0]!.body).equals(fixture(`invalid/${file}`))).toBe(true);
      expect(h.smtp.received).toHaveLength(1);
      expect(h.smtp.received[0]!.envelopeTo).toEqual(['orjan@akeri-ostlund.example']);
    });
  });

  describe('hostile values from a message, through the real SMTP server', () => {
    it('shows a customer named <b>X</b> as text and lets no name add a header', async () => {
      const event = fixtureJson('activated-scanner-has-account.json');
      event.id = 'hostile-1';
      event.data.customer.name = '<b>X</b>';
      event.data.customer.contact.lastName = 'Wilson\r\nBcc: evil@attacker.example';
      event.data.agency.name = 'Byrå\nX-Injected: yes';
      await h.publish(event);
      const [mail] = await h.smtp.waitForCount(1);
      expect(mail!.envelopeTo).toEqual(['sam@fjallbyggarna.example']);
      expect(mail!.parsed.headers.has('bcc')).toBe(false);
      expect(mail!.parsed.headers.has('x-injected')).toBe(false);
      const headerBlock = mail!.raw.slice(0, mail!.raw.indexOf('\r\n\r\n'));
      expect(headerBlock).not.toMatch(/^(Bcc|X-Injected):/im);
      expect(mail!.parsed.subject).not.toMatch(/[\r\n]/);
      expect(mail!.parsed.html).toContain('&lt;b&gt;X&lt;/b&gt;');
      expect(mail!.parsed.html).not.toContain('<b>X</b>');
      expect(mail!.parsed.text).toContain('<b>X</b>');
    });
  });
});

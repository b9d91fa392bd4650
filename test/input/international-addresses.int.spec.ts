/**
 * International email addresses (RFC 6531) through the real worker: a real broker, real SMTP
 * servers in this process (one offering SMTPUTF8, one not) and a real SQLite file.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, fixtureJson, type Harness } from '../support/harness.js';
import { TestSmtpServer } from '../support/smtp.js';
import { logLines } from '../support/log-lines.js';
import { waitFor } from '../support/wait.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness('idn');
});
afterEach(() => h.close());

/** An activation (invitation email to the customer contact) with its own ids and contact address. */
function activation(n: number, email: string) {
  const event = fixtureJson('activated-payroll-has-service.json');
  event.id = `idn-${n}`;
  event.data.collaborationId = `col-idn-${n}`;
  event.data.customer.contact.email = email;
  return event;
}

const failedRows = () => h.query<{ type: string; error_class: string; reason: string; attempts: number }>('SELECT type, error_class, reason, attempts FROM failed_messages');

describe('international email addresses', () => {
  it('an IDN domain is accepted, and both of its spellings reach the same mailbox', async () => {
    await h.startWorker();
    await h.publish(activation(1, 'karin@kaffekoppen-umeå.example'));
    await h.publish(activation(2, 'karin@xn--kaffekoppen-ume-vlb.example'));
    const mails = await h.smtp.waitForCount(2);
    // smtp-server shows the domain decoded; on the wire it was the A-label: no SMTPUTF8 was asked for
    expect(mails.map((m) => m.envelopeTo)).toEqual([['karin@kaffekoppen-umeå.example'], ['karin@kaffekoppen-umeå.example']]);
    expect(mails.map((m) => m.smtpUtf8)).toEqual([false, false]);
    for (const m of mails) expect(m.raw).toContain('<karin@xn--kaffekoppen-ume-vlb.example>'); // the To header, both times
    expect(await failedRows()).toEqual([]);
  });

  it('a non-ASCII local part is delivered with SMTPUTF8 when the server offers it', async () => {
    await h.startWorker();
    await h.publish(activation(3, 'öjvind@kaffekoppen-umeå.example'));
    const [mail] = await h.smtp.waitForCount(1);
    expect(mail!.envelopeTo).toEqual(['öjvind@kaffekoppen-umeå.example']);
    expect(mail!.smtpUtf8).toBe(true);
    expect(mail!.parsed.to).toMatchObject({ value: [{ address: 'öjvind@kaffekoppen-umeå.example' }] });
  });

  it('without SMTPUTF8 on the server it fails at once, for good, naming the (masked) address and SMTPUTF8', async () => {
    const plain = await new TestSmtpServer({ hideSMTPUTF8: true }).start();
    const logs = logLines();
    try {
      await h.startWorker({ smtpUrl: plain.url }, undefined, logs.log);
      await h.publish(activation(4, 'öjvind@kaffekoppen-umeå.example'));
      const [failed] = await waitFor(async () => {
        const rows = await failedRows();
        return rows.length === 1 && rows;
      }, 'the email to be kept as failed');
      expect(failed).toMatchObject({ type: 'invitation', error_class: 'SmtpUtf8NotOffered', attempts: 1 });
      expect(failed!.reason).toContain('SMTPUTF8');
      expect(failed!.reason).toContain('ö***@kaffekoppen-umeå.example');
      expect(failed!.reason).not.toMatch(/^SmtpUtf8NotOffered/); // the class is kept apart, not repeated
      // nothing reached the server, and no retry was scheduled
      expect(plain.received).toEqual([]);
      expect(await h.query("SELECT status, attempts FROM outbox WHERE channel = 'email'")).toEqual([{ status: 'failed', attempts: 1 }]);
      expect(logs.text()).not.toContain('öjvind');
    } finally {
      await h.stopWorker();
      await plain.stop();
    }
  });

  it('addresses are masked in log lines and in failed messages\' reasons, in any script', async () => {
    const logs = logLines();
    await h.startWorker({}, undefined, logs.log);
    // Refused: no top-level domain. The reason quotes the address.
    await h.publish(activation(5, 'öjvind.ågren@kaffekoppen-umeå'));
    await h.publish(activation(6, 'karin@kaffekoppen-umeå.example'));
    await h.smtp.waitForCount(1);
    const [failed] = await waitFor(async () => {
      const rows = await failedRows();
      return rows.length === 1 && rows;
    }, 'the refused activation');
    expect(failed!.reason).toContain('data.customer.contact.email must be an email address');
    expect(failed!.reason).toContain('ö***@kaffekoppen-umeå');
    await waitFor(() => logs.lines.some((l) => l.msg === 'message handled' && l.outcome === 'failed'), 'the refusal to be logged');
    const text = logs.text();
    expect(text).toContain('ö***@kaffekoppen-umeå');
    for (const secret of ['öjvind', 'ågren', 'karin@']) expect(text).not.toContain(secret);
  });
});

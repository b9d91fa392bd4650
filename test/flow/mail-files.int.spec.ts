/**
 * Without SMTP_URL the worker writes each email as an .eml file: `npm start` works with no mail
 * server, and a resend replaces its file instead of adding one.
 */
import fs from 'node:fs';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STORE_KINDS } from '../support/stores.js';
import { createHarness, fixture, type Harness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

let h: Harness;

describe.each(STORE_KINDS)('with the %s store', (store) => {
  beforeEach(async () => {
    h = await createHarness('files', { smtpUrl: undefined }, store);
    await h.startWorker();
  });
  afterEach(() => h.close());

  describe('emails as files', () => {
    it('writes one complete .eml per email into MAIL_DIR, named by kind and collaboration', async () => {
      await h.publish(fixture('activated-payroll-has-service.json'));
      const [file] = await waitFor(() => {
        const files = fs.existsSync(h.config.mailDir) ? fs.readdirSync(h.config.mailDir).filter((f) => f.endsWith('.eml')) : [];
        return files.length > 0 && files;
      }, 'an .eml file');
      expect(file).toMatch(/^invitation\.col-1003\.[0-9a-f-]{36}\.eml$/);
      const mail = await simpleParser(fs.readFileSync(path.join(h.config.mailDir, file!)));
      expect(mail.to).toMatchObject({ value: [{ address: 'orjan@akeri-ostlund.example', name: 'Örjan Östlund' }] });
      expect(mail.from).toMatchObject({ value: [{ address: 'no-reply@spiris.se', name: 'Spiris' }] });
      expect(mail.headers.get('content-language')).toBe('sv, en');
      expect(mail.subject).toMatch(/^Redovisningsbyrån Norr AB bjuder in Åkeri Östlund AB till ett samarbete i Digitala tillval till Visma Lön 300\/600 \/ /);
      expect(mail.html).toContain('lang="sv"');
      expect(mail.text).toContain('Payslip för Visma Lön 600');
      await h.stopWorker();
      expect(fs.readdirSync(h.config.mailDir)).toEqual([file]); // no temp file left behind
    });
  });
});

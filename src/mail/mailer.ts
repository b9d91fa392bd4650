/**
 * Where emails go: an SMTP server over a pooled nodemailer transport when SMTP_URL is set;
 * otherwise `.eml` files in MAIL_DIR, so the worker runs with no mail server at all.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { TraceExtension } from '../tracing/trace-context.js';
import { needsSmtpUtf8 } from '../messages/email-address.js';
import { maskSecrets } from '../text/mask.js';
import { smtpUtf8Probe } from './smtputf8.js';

export interface OutgoingMail {
  /** Stable per outbox row: a resend carries the same Message-ID, and a file keeps its name. */
  id: string;
  /** What a person looking at a folder of `.eml` files wants to see first, e.g. `reminder.col-1002`. */
  label: string;
  from: string;
  to: { name: string; email: string };
  subject: string;
  html: string;
  text: string;
  contentLanguage: string;
  /** The trace of what caused the email: sent as `traceparent` / `tracestate` headers. */
  trace?: TraceExtension;
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
  describe(): string;
}

function message(mail: OutgoingMail) {
  return {
    from: mail.from,
    // nodemailer quotes and encodes the display name; no raw header text is ever built by hand.
    to: { name: mail.to.name.replace(/[\u0000-\u001f\u007f]+/g, ' '), address: mail.to.email },
    subject: mail.subject,
    html: mail.html,
    text: mail.text,
    messageId: `<${mail.id}@collab-worker>`,
    // W3C Trace Context's own field names, as HTTP carries them: lowercase hex, no data in them.
    headers: { 'Content-Language': mail.contentLanguage, ...mail.trace },
  };
}

/**
 * The bodies' Content-Transfer-Encoding over SMTP (RFC 2045 section 6). Every mail client reads
 * base64 as well as quoted-printable; base64 is encoded natively, where nodemailer's
 * quoted-printable walks the ~15 KB of HTML in JavaScript: a quarter of the CPU of a send (bench).
 * The .eml files of the file mailer keep quoted-printable, which a person can read.
 */
export const SMTP_TEXT_ENCODING = 'base64';

export function smtpMailer(smtpUrl: string): Mailer {
  const url = new URL(smtpUrl);
  // Pooled connections: about 800 messages/s to a local server where one connection does far fewer.
  if (!url.searchParams.has('pool')) url.searchParams.set('pool', 'true');
  if (!url.searchParams.has('maxConnections')) url.searchParams.set('maxConnections', '5');
  // A new connection costs a handshake, and servers often pause before greeting (smtp-server
  // 100 ms): nodemailer's default of a new connection every 100 messages made 1 % of emails
  // 100 ms late. A server that allows fewer per connection fails the message over the limit,
  // and the outbox sends it again (SMTP_URL can set maxMessages lower).
  if (!url.searchParams.has('maxMessages')) url.searchParams.set('maxMessages', '1000');
  // nodemailer waits minutes by default; a hung server must fail a delivery well within the
  // outbox lease (15 s) so that it is retried, not sent twice by two workers.
  for (const [option, ms] of [['connectionTimeout', '5000'], ['greetingTimeout', '5000'], ['socketTimeout', '10000']]) {
    if (!url.searchParams.has(option!)) url.searchParams.set(option!, ms!);
  }
  const transport = nodemailer.createTransport(url.toString());
  const offersSmtpUtf8 = smtpUtf8Probe(smtpUrl);
  return {
    async send(mail) {
      const international = [mail.to.email, mail.from].find(needsSmtpUtf8);
      if (international && !(await offersSmtpUtf8())) throw new SmtpUtf8NotOffered(international, url.host);
      await transport.sendMail({ ...message(mail), textEncoding: SMTP_TEXT_ENCODING });
    },
    close: () => transport.close(),
    describe: () => `SMTP ${url.host}`,
  };
}

export function fileMailer(dir: string): Mailer {
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(mail) {
      const info = await transport.sendMail(message(mail));
      await fs.mkdir(dir, { recursive: true });
      const file = path.join(dir, `${mail.label.replace(/[^\w.-]+/g, '_')}.${mail.id}.eml`);
      // Write then rename: a reader never sees half a file, and a resend replaces, not adds.
      await fs.writeFile(`${file}.tmp`, info.message as Buffer);
      await fs.rename(`${file}.tmp`, file);
    },
    close: () => transport.close(),
    describe: () => `files in ${dir}`,
  };
}

/**
 * An address with a non-ASCII local part, and a mail server that does not offer SMTPUTF8: no
 * retry will deliver it (RFC 6531 section 3.4 says return it as undeliverable). The address in
 * the message is masked, as in every reason support reads.
 */
export class SmtpUtf8NotOffered extends Error {
  override name = 'SmtpUtf8NotOffered';
  readonly permanent = true;
  constructor(address: string, host: string) {
    super(`${maskSecrets(address)} has a non-ASCII local part, which needs SMTPUTF8 (RFC 6531), and the mail server ${host} does not offer SMTPUTF8`);
  }
}

/**
 * SMTP 5xx is the server's final word on this message (bad recipient, refused), and an error
 * marked `permanent` ours (SmtpUtf8NotOffered): retrying will not help.
 */
export function isPermanentMailError(err: unknown): boolean {
  if ((err as { permanent?: unknown }).permanent === true) return true;
  const code = (err as { responseCode?: number }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

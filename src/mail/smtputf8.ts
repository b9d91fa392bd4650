/**
 * Whether the mail server offers SMTPUTF8 (RFC 6531), which an address with a non-ASCII local
 * part needs. nodemailer uses the extension when the server offers it and otherwise sends the
 * address as it is, which RFC 6531 section 3.4 forbids (a server without it may mangle the
 * mailbox); so before such an email the worker asks the server itself, over one connection that
 * only greets (EHLO) and quits.
 */
import SMTPConnection from 'nodemailer/lib/smtp-connection/index.js';
import { parseConnectionUrl } from 'nodemailer/lib/shared/index.js';

/** How long an answer is trusted: a server's extensions change with its configuration, rarely. */
const TRUST_MS = 60_000;

export type SmtpUtf8Probe = () => Promise<boolean>;

/**
 * A probe of the server at `smtpUrl` (the same URL as SMTP_URL), remembered for a minute.
 * Rejects when the server cannot be reached: that is transient, so the email is retried.
 */
export function smtpUtf8Probe(smtpUrl: string): SmtpUtf8Probe {
  let cached: { at: number; offered: Promise<boolean> } | undefined;
  return () => {
    const now = Date.now();
    if (!cached || now - cached.at > TRUST_MS) {
      const offered = ask(smtpUrl);
      cached = { at: now, offered };
      // A failed probe is not remembered: the next email asks again.
      offered.catch(() => cached?.offered === offered && (cached = undefined));
    }
    return cached.offered;
  };
}

function ask(smtpUrl: string): Promise<boolean> {
  const connection = new SMTPConnection({ ...parseConnectionUrl(smtpUrl), connectionTimeout: 5000, greetingTimeout: 5000, socketTimeout: 10_000 });
  return new Promise<boolean>((resolve, reject) => {
    connection.once('error', reject);
    connection.connect(() => {
      // After connect, the last reply is the (last) EHLO's list of extensions.
      const reply = connection.lastServerResponse || '';
      resolve(/[ -]SMTPUTF8\b/im.test(reply));
      connection.quit();
    });
  }).finally(() => connection.close());
}

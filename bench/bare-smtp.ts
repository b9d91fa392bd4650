/**
 * The bare baseline for delivery: a pooled nodemailer loop, in a process of its own like the
 * worker, sending `count` emails of the worker's size to the bench's SMTP server.
 * Usage: tsx bench/bare-smtp.ts <port> <count>; prints emails per second.
 */
import nodemailer from 'nodemailer';
import { EmailRenderer } from '../src/mail/renderer.js';
import { exampleModels } from '../src/mail/examples.js';
import { SMTP_TEXT_ENCODING } from '../src/mail/mailer.js';

const [port, count] = process.argv.slice(2).map(Number) as [number, number];
const email = (await EmailRenderer.load()).render(exampleModels()[0]!);
// The worker's pool settings (src/mail/mailer.ts), so that only the worker's own work differs.
const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: true, maxConnections: 5, maxMessages: 1000 });
const start = performance.now();
const inFlight = new Set<Promise<unknown>>();
for (let i = 0; i < count; i++) {
  const sending = transport.sendMail({ from: 'bench@example.com', to: `bare-${i}@bench.example`, subject: email.subject, html: email.html, text: email.text, textEncoding: SMTP_TEXT_ENCODING });
  inFlight.add(sending);
  void sending.finally(() => inFlight.delete(sending));
  if (inFlight.size >= 100) await Promise.race(inFlight);
}
await Promise.all(inFlight);
console.log(count / ((performance.now() - start) / 1000));
transport.close();

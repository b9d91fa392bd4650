/**
 * The SMTP leg alone, for the latency at a steady rate: a warm pooled nodemailer transport with
 * the worker's pool settings, in a process of its own like the worker, sending one email of the
 * worker's size at a time on schedule (email i at start + i / rate, whether or not the ones
 * before were answered) to the bench's SMTP server. The bench takes each email's time at the
 * server, as for the worker, so the two latencies are measured alike.
 * Usage: tsx bench/smtp-leg.ts <port> <rate per s> <seconds>; prints JSON {recipient: sent at},
 * times in ms since the epoch with fractions (performance.timeOrigin + performance.now()).
 */
import nodemailer from 'nodemailer';
import { EmailRenderer } from '../src/mail/renderer.js';
import { exampleModels } from '../src/mail/examples.js';
import { SMTP_TEXT_ENCODING } from '../src/mail/mailer.js';

const [port, rate, seconds] = process.argv.slice(2).map(Number) as [number, number, number];
const email = (await EmailRenderer.load()).render(exampleModels()[0]!);
// The worker's pool settings (src/mail/mailer.ts), so that only the worker's own work differs.
const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, pool: true, maxConnections: 5, maxMessages: 1000 });
const send = (to: string) => transport.sendMail({ from: 'bench@example.com', to, subject: email.subject, html: email.html, text: email.text, textEncoding: SMTP_TEXT_ENCODING });

// Warm: the pool's connections open (each waits for the server's greeting) and the code is hot.
await Promise.all(Array.from({ length: 50 }, (_, i) => send(`warm-${i}@bench.example`)));
const sentAt: Record<string, number> = {};
const sending: Promise<unknown>[] = [];
const start = performance.now();
for (let i = 0; i < rate * seconds; i++) {
  const wait = start + (i * 1000) / rate - performance.now();
  if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
  const to = `leg-${i}@bench.example`;
  sentAt[to] = performance.timeOrigin + performance.now();
  sending.push(send(to));
}
await Promise.all(sending);
transport.close();
console.log(JSON.stringify(sentAt));

import "./count.js";
import nodemailer from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import { EmailRenderer } from '../../src/mail/renderer.js';
import { exampleModels } from '../../src/mail/examples.js';
const [mode, countArg] = process.argv.slice(2);
const count = Number(countArg);
const email = (await EmailRenderer.load()).render(exampleModels()[0]!);
const transport = nodemailer.createTransport({ host: '127.0.0.1', port: 2599, secure: false, ignoreTLS: true, pool: true, maxConnections: 5, maxMessages: 1000 });
function msg(i: number) {
  return { from: 'bench@example.com', to: { name: 'Anna Åberg', address: `bare-${i}@bench.example` }, subject: email.subject, html: email.html, text: email.text, textEncoding: 'base64' as const, messageId: `<${i}@x>`, headers: { 'Content-Language': 'sv, en' } };
}
async function one(i: number) {
  if (mode === 'std') return transport.sendMail(msg(i));
  const raw: Buffer = await new Promise((res, rej) => new MailComposer(msg(i)).compile().build((e: any, b: Buffer) => e ? rej(e) : res(b)));
  return transport.sendMail({ raw, envelope: { from: 'bench@example.com', to: [`bare-${i}@bench.example`] } });
}
// warm
for (let i = 0; i < 500; i++) await one(i);
const c0 = process.cpuUsage(); const t0 = performance.now();
const inFlight = new Set<Promise<unknown>>();
for (let i = 0; i < count; i++) {
  const p = one(i); inFlight.add(p); void p.finally(() => inFlight.delete(p));
  if (inFlight.size >= 100) await Promise.race(inFlight);
}
await Promise.all(inFlight);
const c = process.cpuUsage(c0); const t = performance.now() - t0;
console.log(mode, 'rate', Math.round(count / t * 1000), '/s; cpu/email ms', ((c.user + c.system) / 1000 / count).toFixed(3), 'html', email.html.length, 'text', email.text.length);
transport.close();

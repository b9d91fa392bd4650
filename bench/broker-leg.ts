/**
 * The broker leg alone, for the latency at a steady rate: a bare amqplib consumer, in a process
 * of its own like the worker, on the worker's own events queue (the same exchange, routing key
 * and quorum queue). It acks each activation as it arrives and notes when, so that publish →
 * delivered to a consumer is measured without the worker, as the SMTP leg is without the broker.
 * Usage: tsx bench/broker-leg.ts <AMQP url> <queue> <count>; writes `ready` on stderr once it
 * consumes; when `count` have come, prints JSON {event id: received at}, times in ms since the
 * epoch with fractions (performance.timeOrigin + performance.now()).
 */
import amqp from 'amqplib';

const [url, queue, countText] = process.argv.slice(2) as [string, string, string];
const count = Number(countText);
const connection = await amqp.connect(url);
const channel = await connection.createChannel();
await channel.prefetch(200);
const receivedAt: Record<string, number> = {};
let received = 0;
await channel.consume(queue, (msg) => {
  if (!msg) return;
  const at = performance.timeOrigin + performance.now();
  receivedAt[(JSON.parse(msg.content.toString('utf8')) as { id: string }).id] = at;
  channel.ack(msg);
  if (++received === count) {
    console.log(JSON.stringify(receivedAt));
    void connection.close();
  }
});
process.stderr.write('ready\n');

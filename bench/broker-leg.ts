/**
 * The broker leg alone, for the latency at a steady rate: a bare amqplib consumer, in a process
 * of its own like the worker, on the worker's own events queue (the same exchange, routing key
 * and quorum queue). It acks each message as it arrives and notes when the bench's activations
 * came, so that publish → delivered to a consumer is measured without the worker, as the SMTP leg
 * is without the broker.
 * Usage: tsx bench/broker-leg.ts <AMQP url> <queue> <first> <count>; writes the line `ready` on
 * stderr once it consumes; when the `count` events bench-<first> … bench-<first + count − 1>
 * (world.ts activationEvent) have come, each once (anything else is acked and left out), prints
 * JSON {event id: received at},
 * times in ms since the epoch with fractions (performance.timeOrigin + performance.now()), and
 * exits. Exits with 1 if the broker cancels the consumer.
 */
import amqp from 'amqplib';

const [url, queue, firstText, countText] = process.argv.slice(2) as [string, string, string, string];
const [first, count] = [Number(firstText), Number(countText)];
const expected = (id: unknown): id is string => {
  const n = typeof id === 'string' && /^bench-\d+$/.test(id) ? Number(id.slice('bench-'.length)) : NaN;
  return n >= first && n < first + count;
};
const connection = await amqp.connect(url);
const channel = await connection.createChannel();
await channel.prefetch(200);
const receivedAt = new Map<string, number>();
await channel.consume(queue, (msg) => {
  if (!msg) {
    process.stderr.write(`the broker cancelled the consumer of ${queue}\n`);
    process.exit(1);
  }
  const at = performance.timeOrigin + performance.now();
  const { id } = JSON.parse(msg.content.toString('utf8')) as { id?: string };
  channel.ack(msg);
  if (!expected(id) || receivedAt.has(id)) return;
  receivedAt.set(id, at);
  if (receivedAt.size === count) {
    console.log(JSON.stringify(Object.fromEntries(receivedAt)));
    void connection.close();
  }
});
process.stderr.write('ready\n');

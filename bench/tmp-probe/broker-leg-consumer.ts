import amqp from 'amqplib';
const [url, queue, count] = [process.argv[2]!, process.argv[3]!, Number(process.argv[4])];
const c = await amqp.connect(url); const ch = await c.createChannel(); await ch.prefetch(200);
const at: Record<string, number> = {}; let n = 0;
await ch.consume(queue, (m) => { if (!m) return; const id = (JSON.parse(m.content.toString()) as { id: string }).id; at[id] = performance.timeOrigin + performance.now(); ch.ack(m); if (++n === count) { console.log(JSON.stringify(at)); void c.close(); } });
console.error('ready');

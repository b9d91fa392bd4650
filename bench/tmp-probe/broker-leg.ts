import fs from 'node:fs'; import path from 'node:path'; import { spawn } from 'node:child_process';
import amqp from 'amqplib';
import { loadConfig } from '../../src/config.js';
import { buildTopology, assertTopology, EVENTS_EXCHANGE } from '../../src/broker/topology.js';
import { createVhost } from '../../test/support/rabbit.js';
import { activationEvent, epochMs } from '../world.js';
const rate = 200, seconds = Number(process.env.SECONDS ?? 40);
const template = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/activated-payroll-has-service.json'), 'utf8'));
const vhost = createVhost('bleg');
try {
  const cfg = loadConfig({}); const topo = buildTopology({ prefix: cfg.queuePrefix, retryDelaysMs: cfg.retryDelaysMs, deliveryLimit: cfg.deliveryLimit });
  const setup = await amqp.connect(vhost.url); await assertTopology(await setup.createChannel(), topo); await setup.close();
  const queue = (topo as any).queues?.[0]?.name ?? `${cfg.queuePrefix}.events`;
  console.log('queue', queue);
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'broker-leg-consumer.ts'), vhost.url, queue, String(rate * seconds)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = ''; child.stdout.on('data', (c) => (out += c));
  await new Promise((r) => child.stderr.once('data', r));
  const connection = await amqp.connect(vhost.url); const channel = await connection.createConfirmChannel();
  const pub: [string, number][] = []; const start = performance.now();
  for (let i = 0; i < rate * seconds; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pub.push([`bench-${i}`, epochMs()]);
    channel.publish(EVENTS_EXCHANGE, 'collaboration.activated', activationEvent(i, template), { persistent: true });
  }
  await channel.waitForConfirms(); await connection.close();
  await new Promise((r) => child.once('exit', r));
  const at = JSON.parse(out) as Record<string, number>;
  const xs = pub.slice(rate * 5).map(([id, t]) => at[id]! - t).sort((a, b) => a - b);
  const q = (p: number) => xs[Math.floor(p * (xs.length - 1))]!.toFixed(2);
  console.log('broker leg: p50', q(0.5), 'p90', q(0.9), 'p99', q(0.99), 'max', q(1), 'mean', (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(2));
} finally { vhost.delete(); }

import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);
import fs from 'node:fs';
import path from 'node:path';
import amqp from 'amqplib';
import { loadConfig } from '../../src/config.js';
import { buildTopology, assertTopology, EVENTS_EXCHANGE } from '../../src/broker/topology.js';
import { spawnWorker, FROM_BUILD } from '../../test/support/worker-process.js';
import { createVhost } from '../../test/support/rabbit.js';
import { activationEvent, CountingSmtp, epochMs, tempDir, until } from '../world.js';
const rate = 200, seconds = Number(process.env.SECONDS ?? 40);
const template = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/activated-payroll-has-service.json'), 'utf8'));
const vhost = createVhost('tail');
const smtp = await new CountingSmtp().start();
const { dir, remove } = tempDir();
try {
  const cfg = loadConfig({});
  const setup = await amqp.connect(vhost.url);
  await assertTopology(await setup.createChannel(), buildTopology({ prefix: cfg.queuePrefix, retryDelaysMs: cfg.retryDelaysMs, deliveryLimit: cfg.deliveryLimit }));
  await setup.close();
  const env = { AMQP_URL: vhost.url, SMTP_URL: smtp.url, DATABASE_PATH: path.join(dir, 'p.db'), MAIL_DIR: dir, HTTP_PORT: '0', LOG_LEVEL: 'info', WORKER_ROLES: 'consume,dispatch', ...(process.env.WENV ? JSON.parse(process.env.WENV) : {}) };
  const worker = await spawnWorker(env, [...(process.env.EXTRA ? process.env.EXTRA.split(' ') : []), '--trace-gc', ...FROM_BUILD]);
  const gcs: { at: number; line: string }[] = [];
  let buf = '';
  const handledAt = new Map<string, { at: number; dur: number }>();
  worker.child.stdout!.on('data', (c: Buffer) => { buf += c.toString(); const ls = buf.split('\n'); buf = ls.pop()!; for (const l of ls) { if (/Mark-Compact|Scavenge|Mark-Sweep/.test(l)) gcs.push({ at: epochMs(), line: l.trim() }); else if (l.includes('"message handled"')) { const j = JSON.parse(l); handledAt.set(j.collaborationId.replace('col-bench-', 'c-') + '@bench.example', { at: Date.parse(j.time), dur: j.durationMs }); } } });
  if (process.env.STRACE) setTimeout(() => { const { execSync } = require('node:child_process'); try { execSync(`timeout -s INT 10 strace -c -f -p ${worker.child.pid} -o /tmp/worker-strace.txt`); } catch {} }, 6000);
  const connection = await amqp.connect(vhost.url);
  const channel = await connection.createConfirmChannel();
  const publishedAt: [string, number][] = [];
  const start = performance.now();
  for (let i = 0; i < rate * seconds; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    publishedAt.push([`c-${1_000_000 + i}@bench.example`, epochMs()]);
    channel.publish(EVENTS_EXCHANGE, 'collaboration.activated', activationEvent(1_000_000 + i, template), { persistent: true });
  }
  await channel.waitForConfirms();
  await until(() => smtp.accepted >= rate * seconds, 'all', 120_000);
  await connection.close();
  await worker.kill('SIGTERM');
  const t0w = publishedAt[rate * 5]![1];
  const lat = publishedAt.slice(rate * 5).map(([to, t]) => ({ t, ms: smtp.acceptedAt.get(to)! - t }));
  const sorted = lat.map((l) => l.ms).sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.floor(p * (sorted.length - 1))]!.toFixed(2);
  const parts = lat.map((l) => { const to = publishedAt.find(([, t]) => t === l.t)![0]; const h = handledAt.get(to)!; return { b: h.at - h.dur - l.t, h: h.dur, d: smtp.acceptedAt.get(to)! - h.at }; });
  for (const k of ['b', 'h', 'd'] as const) { const xs = parts.map((x) => x[k]).sort((a, b) => a - b); console.log(k, 'p50', xs[Math.floor(xs.length / 2)], 'p99', xs[Math.floor(xs.length * 0.99)], 'mean', (xs.reduce((a, b) => a + b, 0) / xs.length).toFixed(2)); }
  for (let w = 0; w * 20000 < lat.length / rate * 1000; w++) { const xs = lat.filter((l) => l.t - t0w >= w * 20000 && l.t - t0w < (w + 1) * 20000).map((l) => l.ms).sort((a, b) => a - b); if (xs.length) console.log(`window ${w * 20}-${(w + 1) * 20} s: p50 ${xs[Math.floor(xs.length / 2)]!.toFixed(2)} p99 ${xs[Math.floor(xs.length * 0.99)]!.toFixed(2)}`); }
  console.log('p50', q(0.5), 'p90', q(0.9), 'p99', q(0.99), 'max', q(1));
  const t0 = publishedAt[0]![1];
  const slow = lat.filter((l) => l.ms > Number(q(0.99)));
  // clusters of slow events
  let last = -1e9; const clusters: { from: number; to: number; n: number; max: number }[] = [];
  for (const s of slow) { if (s.t - last > 100) clusters.push({ from: s.t, to: s.t, n: 0, max: 0 }); const c = clusters.at(-1)!; c.to = s.t; c.n++; c.max = Math.max(c.max, s.ms); last = s.t; }
  const mc = gcs.filter((g) => /Mark-Compact|Mark-Sweep/.test(g.line));
  console.log('slow clusters', clusters.length, 'of', slow.length, 'events; mark-compacts', mc.length, 'scavenges', gcs.length - mc.length);
  for (const c of clusters) {
    const near = gcs.filter((g) => g.at >= c.from - 20 && g.at <= c.to + c.max + 20 && (/Mark/.test(g.line) || Number(/(\d+\.\d+) \/ /.exec(g.line)?.[1] ?? 0) > 3));
    const worst = lat.filter((l) => l.t >= c.from && l.t <= c.to).sort((a, b) => b.ms - a.ms)[0]!;
    const to = publishedAt.find(([, t]) => t === worst.t)![0]; const h = handledAt.get(to)!;
    const split = h ? `broker ${(h.at - h.dur - worst.t).toFixed(0)} handle ${h.dur} deliver ${(smtp.acceptedAt.get(to)! - h.at).toFixed(0)}` : '?';
    console.log(`${((c.from - t0) / 1000).toFixed(2)} s: ${c.n} events, max ${c.max.toFixed(1)} ms [${split}]; gc: ${near.map((g) => g.line.replace(/^\[\d+:0x[0-9a-f]+\]\s+/, '').slice(0, 110)).join(' | ') || '-'}`);
  }
} finally { await smtp.stop(); remove(); vhost.delete(); }

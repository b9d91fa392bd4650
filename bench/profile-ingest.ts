/**
 * `npm run bench:profile [-- N] [-- --roles consume,dispatch] [-- --rate R]`: where the worker's
 * CPU goes while it ingests N activations (and, with the dispatch role, delivers their emails
 * alongside; with `--roles dispatch` alone, while it delivers the emails of N activations a
 * consume-only worker handled first). Runs the built worker with --cpu-prof over a preloaded
 * queue, or with `--rate R` fed R activations a second as they are published (the latency's case:
 * batches of one or two), and prints its main thread's time by package, then self time by
 * function. `--no-profile`: no profiler, only the rate and the CPU time of the worker's threads.
 * Either way it prints the worker's garbage collection pauses (main thread, from its /metrics)
 * and its RSS at the end. `--node-flags "--heap-growing-percent=0"` passes flags to the worker's
 * node, to compare runtime settings.
 */
import fs from 'node:fs';
import path from 'node:path';
import amqp from 'amqplib';
import { EVENTS_EXCHANGE } from '../src/broker/topology.js';
import { spawnWorker, FROM_BUILD } from '../test/support/worker-process.js';
import { createVhost } from '../test/support/rabbit.js';
import { assertWorkerTopology, activationEvent, CountingSmtp, HandledCounter, histogramTotals, publishAll, scrapeMetrics, seriesValue, tempDir, until } from './world.js';

const n = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 20_000);
const profile = !process.argv.includes('--no-profile');
const roles = process.argv.includes('--roles') ? process.argv[process.argv.indexOf('--roles') + 1]! : 'consume';
const rate = process.argv.includes('--rate') ? Number(process.argv[process.argv.indexOf('--rate') + 1]) : undefined;
const nodeFlags = process.argv.includes('--node-flags') ? (process.argv[process.argv.indexOf('--node-flags') + 1] ?? '').split(' ').filter(Boolean) : [];
if (process.argv.includes('--node-flags') && nodeFlags.length === 0) throw new Error('bench:profile: --node-flags takes the flags in one argument, e.g. --node-flags "--heap-growing-percent=0"');
if (rate !== undefined && !(rate > 0)) throw new Error('bench:profile: --rate takes activations per second, e.g. --rate 200');
const template = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../test/fixtures/activated-payroll-has-service.json'), 'utf8'));

const vhost = createVhost('profile');
const smtp = await new CountingSmtp().start();
const { dir, remove } = tempDir();
try {
  await assertWorkerTopology(vhost.url);
  const bodies = Array.from({ length: n }, (_, i) => activationEvent(i, template));
  if (rate === undefined) await publishAll(vhost.url, EVENTS_EXCHANGE, 'collaboration.activated', bodies);
  const env = { AMQP_URL: vhost.url, SMTP_URL: smtp.url, DATABASE_PATH: path.join(dir, 'p.db'), MAIL_DIR: dir, HTTP_PORT: '0', LOG_LEVEL: 'info', WORKER_ROLES: roles };
  const deliveringOnly = roles === 'dispatch';
  if (deliveringOnly) await fillOutbox(env);
  const worker = await spawnWorker(env, [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : []), ...nodeFlags, ...FROM_BUILD]);
  const atStart = cpuTicks(worker.child.pid!);
  const gcAtStart = gcPauseMs(await scrapeMetrics(worker.httpPort));
  const handled = new HandledCounter(worker);
  const start = performance.now();
  if (rate !== undefined) await publishAtRate(vhost.url, bodies, rate);
  await until(() => (deliveringOnly ? smtp.accepted : handled.count()) >= n, deliveringOnly ? 'all emails sent' : 'all handled');
  const seconds = (performance.now() - start) / 1000;
  const threads = cpuByThread(worker.child.pid!, atStart, seconds);
  const cpuPerEvent = `${((threadSeconds(worker.child.pid!, atStart) * 1000) / n).toFixed(3)} ms of CPU per ${deliveringOnly ? 'email' : 'event'}`;
  const metrics = await scrapeMetrics(worker.httpPort);
  const gcMs = gcPauseMs(metrics) - gcAtStart;
  const rssMb = seriesValue(metrics, 'process_resident_memory_bytes') / 1024 / 1024;
  await worker.kill('SIGTERM');
  console.log(`${n} ${deliveringOnly ? 'emails' : 'activations'} (${roles}${rate ? `, fed ${rate}/s` : ''}) in ${seconds.toFixed(2)} s (${Math.round(n / seconds)}/s)${deliveringOnly ? '' : `, ${smtp.accepted} emails meanwhile`}; CPU of the worker's threads: ${threads}; ${cpuPerEvent}`);
  console.log(`garbage collection pauses ${gcMs.toFixed(0)} ms (${((gcMs * 1000) / n).toFixed(1)} µs per ${deliveringOnly ? 'email' : 'event'}); RSS at the end ${rssMb.toFixed(0)} MB`);
  const file = fs.readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (file) {
    const cpuProfile = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
    printByPackage(cpuProfile);
    printSelfTime(cpuProfile, 40);
  }
} finally {
  await smtp.stop();
  remove();
  vhost.delete();
}

/** The dispatch role's work, made beforehand and not profiled: a consume-only worker handles the N activations, their emails wait in the outbox. */
async function fillOutbox(env: Record<string, string>): Promise<void> {
  const filler = await spawnWorker({ ...env, WORKER_ROLES: 'consume' }, FROM_BUILD);
  const handled = new HandledCounter(filler);
  await until(() => handled.count() >= n, 'the outbox filled');
  await filler.kill('SIGTERM');
}

/** CPU ticks (1/100 s) by thread id. The main thread's id is the process id. */
function cpuTicks(pid: number): Map<string, number> {
  return new Map(
    fs.readdirSync(`/proc/${pid}/task`).map((tid) => {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return [tid, Number(fields[11]) + Number(fields[12])];
    }),
  );
}

/** Publishes `bodies` on schedule, body i at start + i / rate s, with confirms. */
async function publishAtRate(url: string, bodies: Buffer[], perSecond: number): Promise<void> {
  const connection = await amqp.connect(url);
  const channel = await connection.createConfirmChannel();
  const start = performance.now();
  for (let i = 0; i < bodies.length; i++) {
    const wait = start + (i * 1000) / perSecond - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    channel.publish(EVENTS_EXCHANGE, 'collaboration.activated', bodies[i]!, { persistent: true, contentType: 'application/cloudevents+json' });
  }
  await channel.waitForConfirms();
  await connection.close();
}

/** CPU time of all the worker's threads since `before`, in s. */
function threadSeconds(pid: number, before: Map<string, number>): number {
  let ticks = 0;
  for (const [tid, now] of cpuTicks(pid)) ticks += now - (before.get(tid) ?? 0);
  return ticks / 100;
}

/** The main thread against the rest (libuv's pool, where SQLite runs, and V8's helpers), as a share of the wall time. */
function cpuByThread(pid: number, before: Map<string, number>, seconds: number): string {
  let main = 0;
  let other = 0;
  for (const [tid, ticks] of cpuTicks(pid)) {
    const used = (ticks - (before.get(tid) ?? 0)) / 100;
    if (tid === String(pid)) main += used;
    else other += used;
  }
  const share = (s: number) => `${s.toFixed(2)} s (${Math.round((s / seconds) * 100)} %)`;
  return `main ${share(main)}, other threads ${share(other)}`;
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

function printSelfTime(profile: CpuProfile, top: number): void {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const where = url ? `${url.replace(/^.*node_modules\//, '~/').replace(/^.*\/dist\//, 'dist/')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`;
    self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((us / total) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`);
  }
}

/**
 * The main thread's time by the package it was spent for: each sample goes to the innermost
 * frame of a dependency or of the worker's own code (by directory) on its stack, so Node's
 * internals count for whoever called them (a socket write for nodemailer or amqplib).
 */
function printByPackage(profile: CpuProfile): void {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const owner = (id: number): string => {
    const self = byId.get(id)!.callFrame;
    if (!self.url && self.functionName.startsWith('(')) return self.functionName;
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const { url } = byId.get(at)!.callFrame;
      const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
      if (dependency) return dependency[1]!;
      const own = /\/dist\/([^/]+)/.exec(url);
      if (own) return `collab-worker ${own[1]!.replace(/\.js$/, '')}`;
    }
    return 'node (other)';
  };
  const time = new Map<string, number>();
  profile.samples.forEach((id, i) => time.set(owner(id), (time.get(owner(id)) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...time.values()].reduce((a, b) => a + b, 0);
  console.log('\nmain thread by package:');
  for (const [key, us] of [...time].sort((a, b) => b[1] - a[1]).slice(0, 16)) {
    console.log(`${((us / total) * 100).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`);
  }
  console.log('\nmain thread by function (self time):');
}

/** The worker's garbage collection pauses on its main thread so far, all kinds, in ms (its /metrics). */
function gcPauseMs(metrics: string): number {
  return [...histogramTotals(metrics)].filter(([series]) => series.startsWith('nodejs_gc_duration_seconds')).reduce((sum, [, t]) => sum + t.sum, 0) * 1000;
}

/**
 * The benchmark's phases: each measures one thing, the worker or a bare baseline, against the
 * same broker (a vhost of the run), the same SMTP server (CountingSmtp, in the bench's process)
 * and the same disk. The worker runs as `npm start` runs it: built JavaScript, a process of its own.
 */
import fs from 'node:fs';
import path from 'node:path';
import amqp from 'amqplib';
import { execFile } from 'node:child_process';
import { FROM_BUILD, spawnWorker, type WorkerProcess } from '../test/support/worker-process.js';
import { EVENTS_EXCHANGE } from '../src/broker/topology.js';
import { assertWorkerTopology, CountingSmtp, HandledCounter, activationEvent, publishAll, tempDir, until } from './world.js';
import { createDatabase } from '../test/support/postgres.js';

export const template = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../test/fixtures/activated-payroll-has-service.json'), 'utf8'));

/** Peak resident memory of the worker processes, over the run and by phase. */
export const memory = { peak: 0, byPhase: {} as Record<string, number> };

/** Where a phase's worker keeps its state: a fresh SQLite file, or a fresh PostgreSQL database. */
export interface BenchStore {
  label: string;
  /** The phase's own directory (the SQLite file, MAIL_DIR). */
  dir: string;
  env: Record<string, string>;
  remove(): Promise<void>;
}

export function sqliteStore(): BenchStore {
  const { dir, remove } = tempDir();
  return { label: 'SQLite', dir, env: {}, remove: async () => remove() };
}

export async function postgresStore(): Promise<BenchStore> {
  const { dir, remove } = tempDir();
  const database = await createDatabase('bench');
  return { label: 'PostgreSQL', dir, env: { DATABASE_URL: database.url, ACTIVATION_SECRET: 'bench-secret' }, remove: async () => (remove(), await database.drop()) };
}

export function workerEnv(url: string, store: BenchStore, smtp: CountingSmtp, roles: string): Record<string, string> {
  const dbPath = path.join(store.dir, 'bench.db');
  return { AMQP_URL: url, SMTP_URL: smtp.url, DATABASE_PATH: dbPath, HTTP_PORT: '0', LOG_LEVEL: 'info', WORKER_ROLES: roles, MAIL_DIR: store.dir, ...store.env };
}

/** CPU time a process has used, all its threads, in ms (/proc: utime + stime, 100 ticks a second). */
function cpuMsOf(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** The worker's resident memory, read from /proc: the worker runs in a process of its own. */
export function rssOf(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

export async function startWorker(environment: Record<string, string>, phase: string): Promise<WorkerProcess> {
  const worker = await spawnWorker(environment, FROM_BUILD);
  const timer = setInterval(() => {
    const rss = rssOf(worker.child.pid!);
    memory.peak = Math.max(memory.peak, rss);
    memory.byPhase[phase] = Math.max(memory.byPhase[phase] ?? 0, rss);
  }, 100);
  worker.child.once('exit', () => clearInterval(timer));
  return worker;
}

/** Bare amqplib: consume and ack the same number of the same messages from a quorum queue, per second. */
export async function bareAck(url: string, bodies: Buffer[]): Promise<number> {
  // A queue of its own each time: acks still in flight when the last run closed its connection
  // would leave messages behind for the next.
  const queue = `bench.bare.${Date.now()}`;
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await publishAll(url, '', queue, bodies);
  const consumer = await amqp.connect(url);
  const ch = await consumer.createChannel();
  await ch.prefetch(200);
  let acked = 0;
  let first = 0;
  let last = 0;
  await ch.consume(queue, (msg) => {
    if (!msg) return;
    if (acked === 0) first = performance.now();
    ch.ack(msg);
    if (++acked === bodies.length) last = performance.now();
  });
  await until(() => acked >= bodies.length, 'bare acks');
  await consumer.close();
  await channel.deleteQueue(queue);
  await connection.close();
  return (bodies.length - 1) / ((last - first) / 1000);
}

export interface Ingested {
  perSec: number;
  /** Worker CPU (user + system, all its threads, all processes) per event handled, in ms. */
  cpuMs: number;
  /** Emails the SMTP server accepted while the events were handled (roles with dispatch). */
  emailsMeanwhile: number;
}

/**
 * Events durably handled (state and outbox committed, acked) per second, from a queue filled
 * beforehand, by `processes` worker processes with `roles` on one store.
 */
export async function ingest(url: string, smtp: CountingSmtp, bodies: Buffer[], store: BenchStore, roles: string, processes = 1): Promise<Ingested> {
  await assertWorkerTopology(url);
  await publishAll(url, EVENTS_EXCHANGE, 'collaboration.activated', bodies);
  smtp.reset();
  const phase = `${roles} on ${store.label}`;
  const workers = await Promise.all(Array.from({ length: processes }, () => startWorker(workerEnv(url, store, smtp, roles), phase)));
  const counters = workers.map((w) => new HandledCounter(w));
  const handled = () => counters.reduce((sum, c) => sum + c.count(), 0);
  let atFirst = 0;
  await until(() => (atFirst = handled()) > 0, 'first ack');
  const first = performance.now();
  const cpuAtFirst = workers.reduce((sum, w) => sum + cpuMsOf(w.child.pid!), 0);
  await until(() => handled() >= bodies.length, 'all acked');
  const last = performance.now();
  const cpu = workers.reduce((sum, w) => sum + cpuMsOf(w.child.pid!), 0) - cpuAtFirst;
  const emailsMeanwhile = smtp.accepted;
  for (const worker of workers) await worker.kill('SIGTERM');
  return { perSec: (bodies.length - atFirst) / ((last - first) / 1000), cpuMs: cpu / (bodies.length - atFirst), emailsMeanwhile };
}

export interface Delivered {
  perSec: number;
  barePerSec: number;
  /** Worker CPU per email, in ms (the commands the same events caused included). */
  cpuMs: number;
}

/**
 * The worker's outbox to SMTP (`processes` dispatch-only workers on one store), against a bare
 * pooled nodemailer loop in a process of its own, run right after.
 */
export async function delivery(url: string, smtp: CountingSmtp, store: BenchStore, n: number, processes = 1): Promise<Delivered> {
  // Warm the SMTP server up first, so that neither side of the comparison pays for its start.
  await runScript('bench/bare-smtp.ts', [String(smtp.port), String(Math.min(1000, n))]);
  smtp.reset();
  const workers = await Promise.all(Array.from({ length: processes }, () => startWorker(workerEnv(url, store, smtp, 'dispatch'), `dispatch on ${store.label}`)));
  await until(() => smtp.accepted > 0, 'first email');
  const first = performance.now();
  const atFirst = smtp.accepted;
  const cpuAtFirst = workers.reduce((sum, w) => sum + cpuMsOf(w.child.pid!), 0);
  await until(() => smtp.accepted >= n, 'all emails');
  const perSec = (n - atFirst) / ((performance.now() - first) / 1000);
  const cpu = workers.reduce((sum, w) => sum + cpuMsOf(w.child.pid!), 0) - cpuAtFirst;
  for (const worker of workers) await worker.kill('SIGTERM');

  smtp.reset();
  const barePerSec = Number(await runScript('bench/bare-smtp.ts', [String(smtp.port), String(n)]));
  return { perSec, barePerSec, cpuMs: cpu / (n - atFirst) };
}

export function runScript(script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', script, ...args], { cwd: path.resolve(import.meta.dirname, '..'), maxBuffer: 256 * 1024 * 1024 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout.trim()),
    );
  });
}

export interface Stored {
  storePerSec: number;
  pipelinePerSec: number;
  storeCpuMs: number;
  pipelineCpuMs: number;
}

/** The same activations through the worker's handlers and store without the broker (bench/storage.ts). */
export async function storage(kind: 'sqlite' | 'postgres', n: number): Promise<Stored> {
  return JSON.parse(await runScript('bench/storage.ts', [String(n), kind])) as Stored;
}

export async function render(renders: number, mjmlRenders: number): Promise<{ precompiledUs: number; mjmlUs: number }> {
  return JSON.parse(await runScript('bench/render.ts', [String(renders), String(mjmlRenders)])) as { precompiledUs: number; mjmlUs: number };
}

export const LARGE_COUNT = 300;
const LARGE_BYTES = 1024 * 1024;

/**
 * Memory bounded by bytes: 300 activations of 1 MiB each (an extension attribute) queued before
 * the worker starts, handled with the default MAX_BYTES_IN_FLIGHT. Its peak RSS is the figure.
 */
export async function large(url: string, smtp: CountingSmtp): Promise<{ peakRssMb: number; seconds: number }> {
  smtp.reset();
  const store = sqliteStore();
  const bodies = Array.from({ length: LARGE_COUNT }, (_, i) => {
    const event = JSON.parse(activationEvent(2_000_000 + i, template).toString('utf8')) as Record<string, unknown>;
    return Buffer.from(JSON.stringify({ ...event, padding: 'x'.repeat(LARGE_BYTES) }));
  });
  await assertWorkerTopology(url);
  await publishAll(url, EVENTS_EXCHANGE, 'collaboration.activated', bodies);
  const start = performance.now();
  const worker = await startWorker(workerEnv(url, store, smtp, 'consume,dispatch'), 'large messages');
  await until(() => smtp.accepted >= LARGE_COUNT, 'large messages handled', 300_000);
  const seconds = (performance.now() - start) / 1000;
  await worker.kill('SIGTERM');
  await store.remove();
  return { peakRssMb: Math.round((memory.byPhase['large messages'] ?? 0) / 1024 / 1024), seconds };
}

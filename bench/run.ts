/**
 * `npm run bench [-- --quick]`: the worker against the raw limits of the same broker, mail
 * server and disk, measured side by side in one run, on SQLite and on PostgreSQL (one worker
 * process and two; a database made for the run on TEST_DATABASE_URL's server, default the local
 * one). Prints a table, then one line of JSON.
 */
import fs from 'node:fs';
import path from 'node:path';
import amqp from 'amqplib';
import { execFile } from 'node:child_process';
import { loadConfig } from '../src/config.js';
import { FROM_BUILD, spawnWorker, type WorkerProcess } from '../test/support/worker-process.js';
import { buildTopology, assertTopology, EVENTS_EXCHANGE } from '../src/broker/topology.js';
import { CountingSmtp, HandledCounter, activationEvent, percentile, publishAll, tempDir, until } from './world.js';
import { createVhost } from '../test/support/rabbit.js';
import { createDatabase } from '../test/support/postgres.js';

const quick = process.argv.includes('--quick');
const N_INGEST = quick ? 3_000 : 20_000;
const STEADY_RATE = 200;
const STEADY_SECONDS = quick ? 15 : 300;
const RENDERS = quick ? 20_000 : 100_000;
const MJML_RENDERS = quick ? 30 : 100;

const template = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../test/fixtures/activated-payroll-has-service.json'), 'utf8'));
/** Peak resident memory of the worker processes over the whole run. */
let peakRss = 0;

function env(url: string, dbPath: string, smtp: CountingSmtp, roles: string): Record<string, string> {
  return { AMQP_URL: url, SMTP_URL: smtp.url, DATABASE_PATH: dbPath, HTTP_PORT: '0', LOG_LEVEL: 'info', WORKER_ROLES: roles, MAIL_DIR: path.dirname(dbPath) };
}

/** Where a phase's worker keeps its state: a fresh SQLite file, or a fresh PostgreSQL database. */
interface BenchStore {
  label: string;
  /** The phase's own directory (the SQLite file, MAIL_DIR). */
  dir: string;
  env: Record<string, string>;
  remove(): Promise<void>;
}

function sqliteStore(): BenchStore {
  const { dir, remove } = tempDir();
  return { label: 'SQLite', dir, env: {}, remove: async () => remove() };
}

async function postgresStore(): Promise<BenchStore> {
  const { dir, remove } = tempDir();
  const database = await createDatabase('bench');
  const drop = async () => {
    remove();
    await database.drop();
  };
  return { label: 'PostgreSQL', dir, env: { DATABASE_URL: database.url, ACTIVATION_SECRET: 'bench-secret' }, remove: drop };
}

function workerEnv(url: string, store: BenchStore, smtp: CountingSmtp, roles: string): Record<string, string> {
  return { ...env(url, path.join(store.dir, 'bench.db'), smtp, roles), ...store.env };
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
function rssOf(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** Peak RSS of each phase's worker, to tell which phase needs the memory. */
const peakByPhase: Record<string, number> = {};

async function startWorker(environment: Record<string, string>, phase = environment.WORKER_ROLES!): Promise<WorkerProcess> {
  // The worker as `npm start` runs it: built to JavaScript, no transpiler in the process.
  const worker = await spawnWorker(environment, FROM_BUILD);
  const timer = setInterval(() => {
    const rss = rssOf(worker.child.pid!);
    peakRss = Math.max(peakRss, rss);
    peakByPhase[phase] = Math.max(peakByPhase[phase] ?? 0, rss);
  }, 100);
  worker.child.once('exit', () => clearInterval(timer));
  return worker;
}

/** Bare amqplib: consume and ack the same number of the same messages from a quorum queue. */
async function bareAck(url: string, bodies: Buffer[]): Promise<number> {
  const connection = await amqp.connect(url);
  const channel = await connection.createChannel();
  await channel.assertQueue('bench.bare', { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await connection.close();
  await publishAll(url, '', 'bench.bare', bodies);
  const consumer = await amqp.connect(url);
  const ch = await consumer.createChannel();
  await ch.prefetch(200);
  let acked = 0;
  let first = 0;
  let last = 0;
  await ch.consume('bench.bare', (msg) => {
    if (!msg) return;
    if (acked === 0) first = performance.now();
    ch.ack(msg);
    if (++acked === bodies.length) last = performance.now();
  });
  await until(() => acked === bodies.length, 'bare acks');
  await consumer.close();
  return (bodies.length - 1) / ((last - first) / 1000);
}

/**
 * The worker: events durably handled (state and outbox committed, acked) per second, by
 * `processes` consume-only worker processes on one store, and their CPU ms per activation.
 */
async function ingest(url: string, smtp: CountingSmtp, bodies: Buffer[], store: BenchStore, processes = 1): Promise<{ perSec: number; cpuMs: number }> {
  const cfg = loadConfig({});
  const topology = buildTopology({ prefix: cfg.queuePrefix, retryDelaysMs: cfg.retryDelaysMs, deliveryLimit: cfg.deliveryLimit });
  const setup = await amqp.connect(url);
  await assertTopology(await setup.createChannel(), topology);
  await setup.close();
  await publishAll(url, EVENTS_EXCHANGE, 'collaboration.activated', bodies);
  const phase = `consume on ${store.label}`;
  const workers = await Promise.all(Array.from({ length: processes }, () => startWorker(workerEnv(url, store, smtp, 'consume'), phase)));
  const counters = workers.map((w) => new HandledCounter(w));
  const handled = () => counters.reduce((sum, c) => sum + c.count(), 0);
  let atFirst = 0;
  await until(() => (atFirst = handled()) > 0, 'first ack');
  const first = performance.now();
  const cpuAtFirst = workers.reduce((sum, w) => sum + cpuMsOf(w.child.pid!), 0);
  await until(() => handled() >= bodies.length, 'all acked');
  const last = performance.now();
  const cpu = workers.reduce((sum, w) => sum + cpuMsOf(w.child.pid!), 0) - cpuAtFirst;
  for (const worker of workers) await worker.kill('SIGTERM');
  return { perSec: (bodies.length - atFirst) / ((last - first) / 1000), cpuMs: cpu / (bodies.length - atFirst) };
}

/**
 * The worker's outbox to SMTP (`processes` dispatch-only workers on one store), against a bare
 * pooled nodemailer loop in a process of its own, run right after.
 */
async function delivery(url: string, smtp: CountingSmtp, store: BenchStore, n: number, processes = 1): Promise<{ perSec: number; barePerSec: number }> {
  // Warm the SMTP server up first, so that neither side of the comparison pays for its start.
  await runScript('bench/bare-smtp.ts', [String(smtp.port), String(Math.min(1000, n))]);
  smtp.reset();
  const workers = await Promise.all(Array.from({ length: processes }, () => startWorker(workerEnv(url, store, smtp, 'dispatch'), `dispatch on ${store.label}`)));
  await until(() => smtp.accepted > 0, 'first email');
  const first = performance.now();
  const atFirst = smtp.accepted;
  await until(() => smtp.accepted >= n, 'all emails');
  const perSec = (n - atFirst) / ((performance.now() - first) / 1000);
  for (const worker of workers) await worker.kill('SIGTERM');

  smtp.reset();
  const barePerSec = Number(await runScript('bench/bare-smtp.ts', [String(smtp.port), String(n)]));
  return { perSec, barePerSec };
}

function runScript(script: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', script, ...args], { cwd: path.resolve(import.meta.dirname, '..') }, (err, stdout) =>
      err ? reject(err) : resolve(stdout.trim()),
    );
  });
}

interface Stored {
  storePerSec: number;
  pipelinePerSec: number;
  storeCpuMs: number;
  pipelineCpuMs: number;
}

/** The same activations through the worker's handlers and store without the broker (bench/storage.ts). */
async function storage(kind: 'sqlite' | 'postgres'): Promise<Stored> {
  return JSON.parse(await runScript('bench/storage.ts', [String(N_INGEST), kind])) as Stored;
}

async function render(): Promise<{ precompiledUs: number; mjmlUs: number }> {
  return JSON.parse(await runScript('bench/render.ts', [String(RENDERS), String(MJML_RENDERS)])) as { precompiledUs: number; mjmlUs: number };
}

/** A steady 200 events/s through the whole worker: publish → email accepted, and RSS over time. */
async function steady(url: string, smtp: CountingSmtp): Promise<{ p50: number; p99: number; rssGrowthPct: number; sent: number }> {
  smtp.reset();
  const { dir, remove } = tempDir();
  const worker = await startWorker(env(url, path.join(dir, 'bench.db'), smtp, 'consume,dispatch'));
  const connection = await amqp.connect(url);
  const channel = await connection.createConfirmChannel();
  const publishedAt = new Map<string, number>();
  const total = STEADY_RATE * STEADY_SECONDS;
  const rss: number[] = [];
  const sampler = setInterval(() => rss.push(rssOf(worker.child.pid!)), 1000);
  const offset = 1_000_000;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    // Publish on schedule: event i goes out at start + i / rate.
    const due = start + (i * 1000) / STEADY_RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    publishedAt.set(`c-${offset + i}@bench.example`, performance.now());
    channel.publish(EVENTS_EXCHANGE, 'collaboration.activated', activationEvent(offset + i, template), { persistent: true });
  }
  await channel.waitForConfirms();
  await until(() => smtp.accepted >= total, 'steady emails', 120_000);
  clearInterval(sampler);
  await connection.close();
  await worker.kill('SIGTERM');
  remove();
  const latencies = [...publishedAt].map(([to, at]) => smtp.acceptedAt.get(to)! - at).sort((a, b) => a - b);
  // Growth after warm-up: the last fifth of the run against the second fifth.
  const fifth = Math.max(1, Math.floor(rss.length / 5));
  const avg = (xs: number[]) => xs.reduce((sum, x) => sum + x, 0) / xs.length;
  const early = avg(rss.slice(fifth, 2 * fifth));
  const late = avg(rss.slice(-fifth));
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), rssGrowthPct: ((late - early) / early) * 100, sent: total };
}

const LARGE_COUNT = 300;
const LARGE_BYTES = 1024 * 1024;

/**
 * Memory bounded by bytes: 300 activations of 1 MiB each (an extension attribute) queued before
 * the worker starts, handled with the default MAX_BYTES_IN_FLIGHT. Its peak RSS is the figure.
 */
async function large(url: string, smtp: CountingSmtp): Promise<{ peakRssMb: number; seconds: number }> {
  smtp.reset();
  const { dir, remove } = tempDir();
  const bodies = Array.from({ length: LARGE_COUNT }, (_, i) => {
    const event = JSON.parse(activationEvent(2_000_000 + i, template).toString('utf8')) as Record<string, unknown>;
    return Buffer.from(JSON.stringify({ ...event, padding: 'x'.repeat(LARGE_BYTES) }));
  });
  await publishAll(url, EVENTS_EXCHANGE, 'collaboration.activated', bodies);
  const start = performance.now();
  const worker = await startWorker(env(url, path.join(dir, 'bench.db'), smtp, 'consume,dispatch'), 'large messages');
  await until(() => smtp.accepted >= LARGE_COUNT, 'large messages handled', 300_000);
  const seconds = (performance.now() - start) / 1000;
  await worker.kill('SIGTERM');
  remove();
  return { peakRssMb: Math.round((peakByPhase['large messages'] ?? 0) / 1024 / 1024), seconds };
}

async function main() {
  const vhost = createVhost('bench');
  const smtp = await new CountingSmtp().start();
  try {
    const bodies = Array.from({ length: N_INGEST }, (_, i) => activationEvent(i, template));
    process.stderr.write(`bench${quick ? ' --quick' : ''}: bare consume-and-ack of ${N_INGEST}…\n`);
    const bareAckPerSec = await bareAck(vhost.url, bodies);
    process.stderr.write(`ingest of ${N_INGEST} activations…\n`);
    const sqlite = sqliteStore();
    const ingested = await ingest(vhost.url, smtp, bodies, sqlite);
    // Right after the ingest it is compared with: this machine's disk is not equally fast all run long.
    process.stderr.write('storage alone…\n');
    const stored = await storage('sqlite');
    process.stderr.write(`delivery of the ${N_INGEST} emails from the outbox, and bare nodemailer…\n`);
    const delivered = await delivery(vhost.url, smtp, sqlite, N_INGEST);
    await sqlite.remove();

    // PostgreSQL: one worker process, then two on one database (each phase on a fresh database).
    const onPostgres: { ingest: { perSec: number; cpuMs: number }; delivery: { perSec: number; barePerSec: number } }[] = [];
    for (const processes of [1, 2]) {
      process.stderr.write(`PostgreSQL, ${processes} worker process(es): ingest and delivery of ${N_INGEST}…\n`);
      const postgres = await postgresStore();
      try {
        const pgIngest = await ingest(vhost.url, smtp, bodies, postgres, processes);
        const pgDelivery = await delivery(vhost.url, smtp, postgres, N_INGEST, processes);
        onPostgres.push({ ingest: pgIngest, delivery: pgDelivery });
      } finally {
        await postgres.remove();
      }
    }
    process.stderr.write('storage alone on PostgreSQL…\n');
    const storedPg = await storage('postgres');
    process.stderr.write('render…\n');
    const rendered = await render();
    process.stderr.write(`${LARGE_COUNT} activations of 1 MiB each…\n`);
    const largeRun = await large(vhost.url, smtp);
    process.stderr.write(`steady ${STEADY_RATE} events/s for ${STEADY_SECONDS} s…\n`);
    const steadyRun = await steady(vhost.url, smtp);

    const result = {
      ingestPerSec: Math.round(ingested.perSec),
      bareAckPerSec: Math.round(bareAckPerSec),
      ingestRatio: round(ingested.perSec / bareAckPerSec),
      sqliteOnlyPerSec: Math.round(stored.storePerSec),
      noBrokerPerSec: Math.round(stored.pipelinePerSec),
      deliveryPerSec: Math.round(delivered.perSec),
      bareSmtpPerSec: Math.round(delivered.barePerSec),
      deliveryRatio: round(delivered.perSec / delivered.barePerSec),
      renderSpeedup: Math.round(rendered.mjmlUs / rendered.precompiledUs),
      p50Ms: round(steadyRun.p50),
      p99Ms: round(steadyRun.p99),
      peakRssMb: Math.round(peakRss / 1024 / 1024),
      rssGrowthPct: round(steadyRun.rssGrowthPct),
      largePeakRssMb: largeRun.peakRssMb,
      postgresIngestPerSec: onPostgres.map((r) => Math.round(r.ingest.perSec)),
      postgresDeliveryPerSec: onPostgres.map((r) => Math.round(r.delivery.perSec)),
      postgresBareSmtpPerSec: onPostgres.map((r) => Math.round(r.delivery.barePerSec)),
      postgresOnlyPerSec: Math.round(storedPg.storePerSec),
      postgresNoBrokerPerSec: Math.round(storedPg.pipelinePerSec),
      workerCpuMsPerActivation: { sqlite: round3(ingested.cpuMs), postgres: round3(onPostgres[0]!.ingest.cpuMs) },
      storeCpuMsPerActivation: { sqlite: round3(stored.storeCpuMs), postgres: round3(storedPg.storeCpuMs) },
    };
    const [pg1, pg2] = onPostgres as [(typeof onPostgres)[0], (typeof onPostgres)[0]];
    const rows: [string, string, string, string][] = [
      ['ingest (events/s)', `${result.ingestPerSec}`, `bare amqplib ack ${result.bareAckPerSec}/s, ratio ${result.ingestRatio}`, 'ratio ≥ 0.5'],
      ['  storage alone (events/s)', `${result.noBrokerPerSec}`, `SQLite's part alone ${result.sqliteOnlyPerSec}/s (${round(result.sqliteOnlyPerSec / result.bareAckPerSec)} of bare ack)`, ''],
      ['delivery (emails/s)', `${result.deliveryPerSec}`, `bare nodemailer pool ${result.bareSmtpPerSec}/s, ratio ${result.deliveryRatio}`, 'ratio ≥ 0.9'],
      ['render (µs/email)', round(rendered.precompiledUs).toString(), `mjml2html per email ${Math.round(rendered.mjmlUs)} µs, ${result.renderSpeedup}× faster`, '≥ 500×'],
      [`latency at ${STEADY_RATE}/s`, `p50 ${result.p50Ms} ms`, `p99 ${result.p99Ms} ms over ${steadyRun.sent} events`, 'p99 ≤ 250 ms'],
      ['worker memory', `peak RSS ${result.peakRssMb} MB`, `RSS growth ${result.rssGrowthPct} % over ${STEADY_SECONDS} s steady`, '≤ 200 MB, ≤ 5 %'],
      [`  ${LARGE_COUNT} × 1 MiB queued`, `peak RSS ${result.largePeakRssMb} MB`, `all handled in ${round(largeRun.seconds)} s (MAX_BYTES_IN_FLIGHT 4 MiB)`, '≤ 200 MB'],
      ['ingest on PostgreSQL, 1 process (events/s)', `${Math.round(pg1.ingest.perSec)}`, `ratio ${round(pg1.ingest.perSec / bareAckPerSec)} of bare ack; SQLite ${result.ingestPerSec}/s`, ''],
      ['ingest on PostgreSQL, 2 processes (events/s)', `${Math.round(pg2.ingest.perSec)}`, `${round(pg2.ingest.perSec / pg1.ingest.perSec)}× one process`, ''],
      ['  storage alone, PostgreSQL (events/s)', `${result.postgresNoBrokerPerSec}`, `PostgreSQL's part alone ${result.postgresOnlyPerSec}/s (${round(result.postgresOnlyPerSec / bareAckPerSec)} of bare ack)`, ''],
      ['delivery on PostgreSQL, 1 process (emails/s)', `${Math.round(pg1.delivery.perSec)}`, `bare nodemailer pool ${Math.round(pg1.delivery.barePerSec)}/s, ratio ${round(pg1.delivery.perSec / pg1.delivery.barePerSec)}`, ''],
      ['delivery on PostgreSQL, 2 processes (emails/s)', `${Math.round(pg2.delivery.perSec)}`, `bare nodemailer pool ${Math.round(pg2.delivery.barePerSec)}/s, ratio ${round(pg2.delivery.perSec / pg2.delivery.barePerSec)}`, ''],
      [
        'worker CPU per activation (ms)',
        `SQLite ${result.workerCpuMsPerActivation.sqlite}, PostgreSQL ${result.workerCpuMsPerActivation.postgres}`,
        `the store's part: SQLite ${result.storeCpuMsPerActivation.sqlite}, PostgreSQL ${result.storeCpuMsPerActivation.postgres} (its server's CPU not counted)`,
        '',
      ],
    ];
    console.log('| measure | worker | same run, for comparison | goal |');
    console.log('|---|---|---|---|');
    for (const r of rows) console.log(`| ${r.join(' | ')} |`);
    const phases = Object.entries(peakByPhase).map(([roles, rss]) => `${roles} ${Math.round(rss / 1024 / 1024)} MB`).join(', ');
    console.log(`\npeak RSS by phase (worker roles): ${phases}`);
    console.log(JSON.stringify(result));
  } finally {
    await smtp.stop();
    vhost.delete();
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

await main();

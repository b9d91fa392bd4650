/**
 * The latency phase: publish → email accepted at a steady rate, for the worker (consuming and
 * delivering) and for the two legs it is made of, each alone: the broker's (publish → a bare
 * consumer) and the mail server's (a warm nodemailer pool → accepted). All three publish or send
 * on schedule (item i at start + i / rate s, whether or not the ones before were answered), in
 * processes of their own, and leave out the first WARM_UP_SECONDS.
 */
import path from 'node:path';
import { spawn } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import amqp from 'amqplib';
import { EVENTS_EXCHANGE } from '../src/broker/topology.js';
import { assertWorkerTopology, CountingSmtp, activationEvent, epochMs, histogramTotals, meanMsBetween, percentile, scrapeMetrics, seriesValue, until } from './world.js';
import { rssOf, runScript, sqliteStore, startWorker, template, workerEnv } from './phases.js';

/** Events of the first seconds of a steady run, left out of its percentiles (see steady). */
const WARM_UP_SECONDS = 5;
/** monitorEventLoopDelay's timer, in ms: prom-client's default (eventLoopMonitoringPrecision), which the worker keeps. */
const LOOP_RESOLUTION_MS = 10;

/** p50, p99 and mean in ms, over `count` items. */
export interface Latency {
  p50: number;
  p99: number;
  mean: number;
  count: number;
}

/**
 * Where the worker's time goes, means in ms after the warm-up, from its own histograms (one
 * scrape of /metrics at the end of the warm-up and one at the end): a delivery's wait for the
 * batch before it, its batch's transaction, an email's delivery attempt (render, MIME, SMTP).
 */
export interface LatencySteps {
  waitMs: number;
  commitMs: number;
  emailAttemptMs: number;
}

/**
 * How late the event loops ran after the warm-up, p99 and max in ms: the worker's (prom-client's
 * `nodejs_eventloop_lag_*`, from its /metrics) and the bench's own, where the SMTP server takes
 * the emails and notes when. Both come from node:perf_hooks monitorEventLoopDelay, a timer every
 * LOOP_RESOLUTION_MS that records when it fires; what it records past that is the lateness. A
 * stall in the latency that neither shows was elsewhere: the broker, the disk, the machine.
 */
export interface EventLoopDelays {
  workerP99Ms: number;
  workerMaxMs: number;
  benchP99Ms: number;
  benchMaxMs: number;
}

/**
 * Each event's latency cut in three at the worker's `message handled` log line (its time, and
 * `durationMs` since the message arrived): publish → the worker's consumer has it; its handling
 * until the ack (the wait for the batch before, the transaction, the ack); the ack → email
 * accepted. The log's time and `durationMs` are whole milliseconds: the handling is whole ms,
 * and each of the other two parts is within about 1 ms.
 */
export interface LatencySplit {
  toWorker: Latency;
  handling: Latency;
  toAccepted: Latency;
}

function summarize(ms: number[]): Latency {
  const missing = ms.findIndex((x) => !Number.isFinite(x));
  if (missing >= 0) throw new Error(`bench: no time for item ${missing} of ${ms.length}`);
  const sorted = [...ms].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean: sorted.reduce((sum, x) => sum + x, 0) / sorted.length, count: sorted.length };
}

function latencies(sentAt: Iterable<[string, number]>, smtp: CountingSmtp): Latency {
  return summarize([...sentAt].map(([to, at]) => smtp.acceptedAt.get(to)! - at));
}

/** Publishes activation `offset + i` at start + i / rate s on a confirm channel, calling `onPublish(i)` just before each. */
async function publishOnSchedule(url: string, rate: number, seconds: number, offset: number, onPublish: (i: number) => void): Promise<void> {
  const connection = await amqp.connect(url);
  const channel = await connection.createConfirmChannel();
  const start = performance.now();
  for (let i = 0; i < rate * seconds; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    onPublish(i);
    channel.publish(EVENTS_EXCHANGE, 'collaboration.activated', activationEvent(offset + i, template), { persistent: true });
  }
  await channel.waitForConfirms();
  await connection.close();
}

/** The SMTP leg alone (bench/smtp-leg.ts): send → accepted at `rate` emails/s, one at a time. */
export async function smtpLeg(smtp: CountingSmtp, rate: number, seconds: number): Promise<Latency> {
  smtp.reset();
  const sentAt = JSON.parse(await runScript('bench/smtp-leg.ts', [String(smtp.port), String(rate), String(seconds)])) as Record<string, number>;
  // In the order sent (the keys are not array indexes): the first seconds are the warm-up.
  return latencies(Object.entries(sentAt).slice(rate * WARM_UP_SECONDS), smtp);
}

/**
 * The broker leg alone (bench/broker-leg.ts): publish → a bare consumer has it, at `rate`
 * activations/s, on the worker's own topology in this vhost (which the worker uses next: the
 * consumer takes every message, so the queue is left empty).
 */
export async function brokerLeg(url: string, rate: number, seconds: number): Promise<Latency> {
  const topology = await assertWorkerTopology(url);
  const offset = 3_000_000;
  const args = ['--import', 'tsx', 'bench/broker-leg.ts', url, topology.eventsQueue, String(offset), String(rate * seconds)];
  const consumer = spawn(process.execPath, args, { cwd: path.resolve(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let errors = '';
  consumer.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  consumer.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString('utf8')));
  // 'close', not 'exit': all of its output has been read by then.
  const closed = new Promise<void>((resolve) => consumer.once('close', () => resolve()));
  const ended = () => consumer.exitCode !== null || consumer.signalCode !== null;
  try {
    await until(() => /^ready$/m.test(errors) || ended(), 'the broker leg consumer to start', 30_000);
    if (ended()) throw new Error(`bench/broker-leg.ts ended at start: ${errors}`);
    const publishedAt: [string, number][] = [];
    await publishOnSchedule(url, rate, seconds, offset, (i) => publishedAt.push([`bench-${offset + i}`, epochMs()]));
    await until(ended, 'the broker leg consumer to have every activation', 60_000);
    await closed;
    if (consumer.exitCode !== 0) throw new Error(`bench/broker-leg.ts exited with ${consumer.exitCode ?? consumer.signalCode}: ${errors}`);
    const receivedAt = JSON.parse(output) as Record<string, number>;
    return summarize(publishedAt.slice(rate * WARM_UP_SECONDS).map(([id, at]) => receivedAt[id]! - at));
  } finally {
    if (!ended()) consumer.kill();
  }
}

/**
 * A steady `rate` activations/s through the whole worker (consuming and delivering): publish →
 * email accepted, after a warm-up of WARM_UP_SECONDS (the prefetch's slow start, the mail pool's
 * first connections, each waiting 100 ms for the server's greeting, and the JIT; the SMTP leg is
 * warmed the same way), where that time went, and the worker's RSS growth after warm-up.
 */
export async function steady(
  url: string,
  smtp: CountingSmtp,
  rate: number,
  seconds: number,
): Promise<Latency & { rssGrowthPct: number; steps: LatencySteps; split: LatencySplit; eventLoops: EventLoopDelays }> {
  smtp.reset();
  const store = sqliteStore();
  const worker = await startWorker(workerEnv(url, store, smtp, 'consume,dispatch'), 'consume,dispatch at a steady rate');
  const publishedAt = new Map<string, number>();
  const total = rate * seconds;
  const rss: number[] = [];
  const sampler = setInterval(() => rss.push(rssOf(worker.child.pid!)), 1000);
  const offset = 1_000_000;
  const benchLoop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  let warm: Promise<string> | undefined;
  await publishOnSchedule(url, rate, seconds, offset, (i) => {
    if (i >= rate * WARM_UP_SECONDS && !warm) {
      warm = scrapeMetrics(worker.httpPort);
      benchLoop.enable();
    }
    publishedAt.set(`c-${offset + i}@bench.example`, epochMs());
  });
  await until(() => smtp.accepted >= total, 'steady emails', 120_000);
  benchLoop.disable();
  if (!warm) throw new Error(`bench: the steady phase must last longer than its ${WARM_UP_SECONDS} s warm-up`);
  const last = await scrapeMetrics(worker.httpPort);
  const [before, after] = [histogramTotals(await warm), histogramTotals(last)];
  const eventLoops: EventLoopDelays = {
    workerP99Ms: seriesValue(last, 'nodejs_eventloop_lag_p99_seconds') * 1000 - LOOP_RESOLUTION_MS,
    workerMaxMs: seriesValue(last, 'nodejs_eventloop_lag_max_seconds') * 1000 - LOOP_RESOLUTION_MS,
    benchP99Ms: benchLoop.percentile(99) / 1e6 - LOOP_RESOLUTION_MS,
    benchMaxMs: benchLoop.max / 1e6 - LOOP_RESOLUTION_MS,
  };
  const steps: LatencySteps = {
    waitMs: meanMsBetween(before, after, 'collab_batch_wait_seconds'),
    commitMs: meanMsBetween(before, after, 'collab_batch_commit_seconds'),
    emailAttemptMs: meanMsBetween(before, after, 'collab_outbox_attempt_seconds{channel="email"}'),
  };
  clearInterval(sampler);
  await worker.kill('SIGTERM');
  await store.remove();
  // Growth after warm-up: the last fifth of the run against the second fifth.
  const fifth = Math.max(1, Math.floor(rss.length / 5));
  const avg = (xs: number[]) => xs.reduce((sum, x) => sum + x, 0) / xs.length;
  const early = avg(rss.slice(fifth, 2 * fifth));
  const late = avg(rss.slice(-fifth));
  const measured = [...publishedAt].slice(rate * WARM_UP_SECONDS);
  return { ...latencies(measured, smtp), rssGrowthPct: ((late - early) / early) * 100, steps, split: split(measured, worker.logs, smtp), eventLoops };
}

/** LatencySplit of the events in `publishedAt` (recipient → published at), from the worker's log lines. */
function split(publishedAt: [string, number][], logs: string[], smtp: CountingSmtp): LatencySplit {
  const handled = new Map<string, { at: number; durationMs: number }>();
  for (const line of logs) {
    if (!line.includes('"msg":"message handled"') || !line.includes('"outcome":"acked"')) continue;
    const { collaborationId, time, durationMs } = JSON.parse(line) as { collaborationId: string; time: string; durationMs: number };
    // Collaboration col-bench-N is customer c-N@bench.example's (world.ts activationEvent).
    const to = `${collaborationId.replace(/^col-bench-/, 'c-')}@bench.example`;
    // The log's time is Date.now(), whole ms rounded down: the middle of its millisecond.
    if (!handled.has(to)) handled.set(to, { at: Date.parse(time) + 0.5, durationMs });
  }
  const parts = publishedAt.map(([to, at]) => {
    const h = handled.get(to);
    if (!h) throw new Error(`bench: no "message handled" line for ${to}`);
    return { toWorker: h.at - h.durationMs - at, handling: h.durationMs, toAccepted: smtp.acceptedAt.get(to)! - h.at };
  });
  return {
    toWorker: summarize(parts.map((p) => p.toWorker)),
    handling: summarize(parts.map((p) => p.handling)),
    toAccepted: summarize(parts.map((p) => p.toAccepted)),
  };
}

/** The bench's world: a counting SMTP server and a fresh SQLite file per phase (the vhost comes from test/support). */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import amqp from 'amqplib';
import { SMTPServer } from 'smtp-server';
import type { WorkerProcess } from '../test/support/worker-process.js';
import { loadConfig } from '../src/config.js';
import { assertTopology, buildTopology, type Topology } from '../src/broker/topology.js';

export function tempDir(): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'collab-bench-'));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Declares the worker's exchanges and queues (default settings) in the vhost at `url`, so that
 * events can be queued before a worker starts: every phase that publishes first calls it, and
 * so can run alone (`--only`).
 */
export async function assertWorkerTopology(url: string): Promise<Topology> {
  const cfg = loadConfig({});
  const topology = buildTopology({ prefix: cfg.queuePrefix, retryDelaysMs: cfg.retryDelaysMs, deliveryLimit: cfg.deliveryLimit });
  const setup = await amqp.connect(url);
  try {
    await assertTopology(await setup.createChannel(), topology);
  } finally {
    await setup.close();
  }
  return topology;
}

/** Now, in ms since the epoch with fractions: comparable between processes, unlike performance.now(). */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Accepts every message and notes when (epochMs), by recipient: no parsing, so it is never the bottleneck. */
export class CountingSmtp {
  accepted = 0;
  readonly acceptedAt = new Map<string, number>();
  private server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData: (stream, session, callback) => {
      stream.resume();
      stream.on('end', () => {
        const now = epochMs();
        this.accepted++;
        for (const r of session.envelope.rcptTo) if (!this.acceptedAt.has(r.address)) this.acceptedAt.set(r.address, now);
        callback();
      });
    },
  });
  port = 0;

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  reset(): void {
    this.accepted = 0;
    this.acceptedAt.clear();
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export async function until(probe: () => boolean | Promise<boolean>, what: string, timeoutMs = 600_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export function activationEvent(i: number, template: Record<string, any>): Buffer {
  return Buffer.from(
    JSON.stringify({
      ...template,
      id: `bench-${i}`,
      data: {
        ...template.data,
        collaborationId: `col-bench-${i}`,
        customer: { ...template.data.customer, id: `cust-${i}`, contact: { ...template.data.customer.contact, email: `c-${i}@bench.example` } },
      },
    }),
  );
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Messages the worker has handled and acked, counted from its log lines ("message handled",
 * written after the ack): scraping /metrics in a tight loop would cost the worker CPU it measures.
 */
export class HandledCounter {
  private seen = 0;
  private acked = 0;

  constructor(private readonly worker: WorkerProcess) {}

  count(): number {
    const { logs } = this.worker;
    for (; this.seen < logs.length; this.seen++) {
      const line = logs[this.seen]!;
      if (line.includes('"msg":"message handled"') && line.includes('"outcome":"acked"')) this.acked++;
    }
    return this.acked;
  }
}

export async function publishAll(url: string, exchange: string, routingKey: string, bodies: Buffer[]): Promise<void> {
  const connection = await amqp.connect(url);
  const channel = await connection.createConfirmChannel();
  for (let i = 0; i < bodies.length; i++) {
    if (!channel.publish(exchange, routingKey, bodies[i]!, { persistent: true, contentType: 'application/cloudevents+json' })) {
      await new Promise((resolve) => channel.once('drain', resolve));
    }
    if (i % 1000 === 999) await channel.waitForConfirms();
  }
  await channel.waitForConfirms();
  await connection.close();
}

/** A histogram's sum (seconds) and count, by series (name plus labels), from one scrape of /metrics. */
export type HistogramTotals = Map<string, { sum: number; count: number }>;

/**
 * One scrape of the worker's /metrics, as text. A scrape also starts prom-client's event-loop
 * delay statistics over (`nodejs_eventloop_lag_*`): each scrape's cover the time since the one
 * before.
 */
export async function scrapeMetrics(httpPort: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
}

/** Every histogram's `_sum` and `_count` in a scrape. */
export function histogramTotals(metrics: string): HistogramTotals {
  const totals: HistogramTotals = new Map();
  for (const line of metrics.split('\n')) {
    const match = /^(\w+)_(sum|count)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match) continue;
    const series = `${match[1]}${match[3] ?? ''}`;
    const entry = totals.get(series) ?? { sum: 0, count: 0 };
    entry[match[2] as 'sum' | 'count'] = Number(match[4]);
    totals.set(series, entry);
  }
  return totals;
}

/** The value of an unlabelled series (a gauge) in a scrape; NaN when it is not there. */
export function seriesValue(metrics: string, name: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : NaN;
}

/** The mean of a series between two scrapes, in ms (NaN when nothing was observed). */
export function meanMsBetween(before: HistogramTotals, after: HistogramTotals, series: string): number {
  const a = before.get(series) ?? { sum: 0, count: 0 };
  const b = after.get(series) ?? { sum: 0, count: 0 };
  return ((b.sum - a.sum) / (b.count - a.count)) * 1000;
}

/**
 * `npm run bench [-- --quick] [-- --runs N] [-- --only ingest,delivery,postgres,render,large,latency]
 * [-- --steady-seconds S]`:
 * the worker against the raw limits of the same broker, mail server and disk, measured side by
 * side in one run (phases in phases.ts). With `--runs N` every phase runs N times and each
 * figure is shown as the median with its range. Prints a table, then one line of JSON.
 */
import fs from 'node:fs';
import { CountingSmtp, activationEvent } from './world.js';
import { createVhost } from '../test/support/rabbit.js';
import * as phase from './phases.js';
import * as latency from './latency.js';

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const runs = Number(args[args.indexOf('--runs') + 1] ?? 1) || 1;
const GROUPS = ['ingest', 'delivery', 'postgres', 'render', 'large', 'latency'] as const;
const only = args.includes('--only') ? args[args.indexOf('--only') + 1]!.split(',') : [...GROUPS];
const unknown = only.filter((g) => !(GROUPS as readonly string[]).includes(g));
if (unknown.length > 0) throw new Error(`bench: --only takes ${GROUPS.join(', ')}; not ${unknown.join(', ')}`);
const doing = (group: (typeof GROUPS)[number]) => only.includes(group);

const N = quick ? 3_000 : 20_000;
const RATE = 200;
const STEADY_SECONDS = args.includes('--steady-seconds') ? Number(args[args.indexOf('--steady-seconds') + 1]) : quick ? 15 : 300;
const LEG_SECONDS = quick ? 15 : 60;
const RENDERS = quick ? 20_000 : 100_000;
const MJML_RENDERS = quick ? 30 : 100;

type Figures = Record<string, number>;
const say = (text: string) => process.stderr.write(`${text}\n`);

async function oneRun(url: string, smtp: CountingSmtp, bodies: Buffer[]): Promise<Figures> {
  const f: Figures = {};
  phase.memory.peak = 0;
  const cpuAtStart = machineCpu();
  if (doing('ingest') || doing('delivery') || doing('postgres')) {
    say(`bare consume-and-ack of ${N}…`);
    f.bareAckPerSec = await phase.bareAck(url, bodies);
  }
  if (doing('ingest')) {
    say(`ingest of ${N} activations, delivering alongside…`);
    const alongside = phase.sqliteStore();
    const both = await phase.ingest(url, smtp, bodies, alongside, 'consume,dispatch');
    await alongside.remove();
    Object.assign(f, { ingestPerSec: both.perSec, ingestRatio: both.perSec / f.bareAckPerSec!, ingestCpuMs: both.cpuMs, emailsDuringIngest: both.emailsMeanwhile });
  }
  if (doing('ingest') || doing('delivery')) {
    say(`ingest of ${N} activations, consuming only…`);
    const store = phase.sqliteStore();
    const consumeOnly = await phase.ingest(url, smtp, bodies, store, 'consume');
    Object.assign(f, { consumeOnlyPerSec: consumeOnly.perSec, consumeOnlyCpuMs: consumeOnly.cpuMs });
    // Right after the ingest it is compared with: this machine's disk is not equally fast all run long.
    say('storage alone…');
    const stored = await phase.storage('sqlite', N);
    Object.assign(f, { sqliteOnlyPerSec: stored.storePerSec, noBrokerPerSec: stored.pipelinePerSec, storeCpuMs: stored.storeCpuMs });
    if (doing('delivery')) {
      say(`delivery of the ${N} emails from the outbox, and bare nodemailer…`);
      const delivered = await phase.delivery(url, smtp, store, N);
      Object.assign(f, { deliveryPerSec: delivered.perSec, bareSmtpPerSec: delivered.barePerSec, deliveryRatio: delivered.perSec / delivered.barePerSec, deliveryCpuMs: delivered.cpuMs });
    }
    await store.remove();
  }
  if (doing('postgres')) {
    // One worker process, then two on one database (each on a fresh database).
    for (const processes of [1, 2]) {
      say(`PostgreSQL, ${processes} worker process(es): ingest and delivery of ${N}…`);
      const store = await phase.postgresStore();
      try {
        const ingested = await phase.ingest(url, smtp, bodies, store, 'consume', processes);
        const delivered = await phase.delivery(url, smtp, store, N, processes);
        Object.assign(f, {
          [`pg${processes}IngestPerSec`]: ingested.perSec,
          [`pg${processes}IngestCpuMs`]: ingested.cpuMs,
          [`pg${processes}DeliveryPerSec`]: delivered.perSec,
          [`pg${processes}BareSmtpPerSec`]: delivered.barePerSec,
        });
      } finally {
        await store.remove();
      }
    }
    say('storage alone on PostgreSQL…');
    const stored = await phase.storage('postgres', N);
    Object.assign(f, { pgOnlyPerSec: stored.storePerSec, pgNoBrokerPerSec: stored.pipelinePerSec, pgStoreCpuMs: stored.storeCpuMs });
  }
  if (doing('render')) {
    say('render…');
    const rendered = await phase.render(RENDERS, MJML_RENDERS);
    Object.assign(f, { renderUs: rendered.precompiledUs, mjmlUs: rendered.mjmlUs, renderSpeedup: rendered.mjmlUs / rendered.precompiledUs });
  }
  if (doing('latency')) {
    say(`the SMTP leg alone: ${RATE} emails/s for ${LEG_SECONDS} s…`);
    const leg = await latency.smtpLeg(smtp, RATE, LEG_SECONDS);
    say(`the broker leg alone: ${RATE} activations/s for ${LEG_SECONDS} s…`);
    const brokerLeg = await latency.brokerLeg(url, RATE, LEG_SECONDS);
    say(`the worker: steady ${RATE} events/s for ${STEADY_SECONDS} s…`);
    const s = await latency.steady(url, smtp, RATE, STEADY_SECONDS);
    Object.assign(f, { legP50: leg.p50, legP99: leg.p99, p50: s.p50, p99: s.p99, p50OverLeg: s.p50 - leg.p50, p99OverLeg: s.p99 / leg.p99, rssGrowthPct: s.rssGrowthPct, steadyEvents: s.count });
    Object.assign(f, { legMean: leg.mean, mean: s.mean, waitMs: s.steps.waitMs, commitMs: s.steps.commitMs, emailAttemptMs: s.steps.emailAttemptMs });
    Object.assign(f, { brokerLegP50: brokerLeg.p50, brokerLegP99: brokerLeg.p99, brokerLegMean: brokerLeg.mean });
    for (const [part, figures] of Object.entries(s.split)) Object.assign(f, { [`${part}P50`]: figures.p50, [`${part}P99`]: figures.p99, [`${part}Mean`]: figures.mean });
    Object.assign(f, { workerLoopP99: s.eventLoops.workerP99Ms, workerLoopMax: s.eventLoops.workerMaxMs, benchLoopP99: s.eventLoops.benchP99Ms, benchLoopMax: s.eventLoops.benchMaxMs });
  }
  // Last: 300 MB through the broker leaves RabbitMQ busy for a while, which the latency would feel.
  if (doing('large')) {
    say(`${phase.LARGE_COUNT} activations of 1 MiB each…`);
    const largeRun = await phase.large(url, smtp);
    Object.assign(f, { largePeakRssMb: largeRun.peakRssMb, largeSeconds: largeRun.seconds });
  }
  f.peakRssMb = phase.memory.peak / 1024 / 1024;
  const cpuAtEnd = machineCpu();
  f.stealPct = ((cpuAtEnd.steal - cpuAtStart.steal) / (cpuAtEnd.total - cpuAtStart.total)) * 100;
  return f;
}

/** The machine's CPU time since boot, all cores, in ticks: the total and what the host took (steal; proc(5)). */
function machineCpu(): { total: number; steal: number } {
  const fields = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return { total: fields.reduce((sum, x) => sum + x, 0), steal: fields[7] ?? 0 };
}

/** Median of the runs, and their range when there are several. */
function summary(values: number[], digits: number): string {
  const sorted = [...values].sort((a, b) => a - b);
  const fmt = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  return sorted.length === 1 ? fmt(median) : `${fmt(median)} (${fmt(sorted[0]!)}–${fmt(sorted.at(-1)!)})`;
}

function table(all: Figures[]): string[] {
  const has = (key: string) => all.every((f) => f[key] !== undefined);
  const v = (key: string, digits = 0) => summary(all.map((f) => f[key]!), digits);
  const rows: (string[] | false)[] = [
    has('ingestPerSec') && ['ingest, delivering alongside (events/s)', v('ingestPerSec'), `bare amqplib ack ${v('bareAckPerSec')}/s; ratio ${v('ingestRatio', 2)}`, 'ratio ≥ 0.5'],
    has('ingestCpuMs') && ['  worker CPU per event (ms)', v('ingestCpuMs', 3), `emails sent meanwhile: ${v('emailsDuringIngest')}`, ''],
    has('consumeOnlyPerSec') && ['  consuming only (events/s)', v('consumeOnlyPerSec'), `worker CPU per event ${v('consumeOnlyCpuMs', 3)} ms`, ''],
    has('noBrokerPerSec') && ['  storage alone (events/s)', v('noBrokerPerSec'), `SQLite's part alone ${v('sqliteOnlyPerSec')}/s, its CPU per event ${v('storeCpuMs', 3)} ms`, ''],
    has('deliveryPerSec') && ['delivery (emails/s)', v('deliveryPerSec'), `bare nodemailer pool ${v('bareSmtpPerSec')}/s; ratio ${v('deliveryRatio', 2)}; worker CPU per email ${v('deliveryCpuMs', 3)} ms`, 'ratio ≥ 0.95'],
    has('renderUs') && ['render (µs/email)', v('renderUs', 2), `mjml2html per email ${v('mjmlUs')} µs, ${v('renderSpeedup')}× faster`, '≥ 500×'],
    has('p50') && [`latency at ${RATE}/s, p50 (ms)`, v('p50', 2), `SMTP leg alone ${v('legP50', 2)}; worker − leg ${v('p50OverLeg', 2)}; broker leg alone ${v('brokerLegP50', 2)}`, '≤ leg + 3 ms'],
    has('mean') && [`latency at ${RATE}/s, mean (ms)`, v('mean', 2), `SMTP leg alone ${v('legMean', 2)}; broker leg alone ${v('brokerLegMean', 2)}; the worker's steps (means): wait for the batch before ${v('waitMs', 2)}, the batch's transaction ${v('commitMs', 2)}, the email's attempt ${v('emailAttemptMs', 2)}`, ''],
    has('p99') && [`latency at ${RATE}/s, p99 (ms)`, v('p99', 2), `SMTP leg alone ${v('legP99', 2)}; worker / leg ${v('p99OverLeg', 2)} (${v('steadyEvents')} events after 5 s); broker leg alone ${v('brokerLegP99', 2)}`, '≤ 1.5 × leg'],
    has('toWorkerP50') && ['  its three parts, p50 / p99 / mean (ms)', '', `publish → the worker's consumer ${v('toWorkerP50', 2)} / ${v('toWorkerP99', 2)} / ${v('toWorkerMean', 2)}; handling until the ack ${v('handlingP50')} / ${v('handlingP99')} / ${v('handlingMean', 2)}; ack → email accepted ${v('toAcceptedP50', 2)} / ${v('toAcceptedP99', 2)} / ${v('toAcceptedMean', 2)} (from the worker's log lines: within about 1 ms)`, ''],
    has('workerLoopMax') && ['  event loops running late, p99 / max (ms)', '', `the worker's ${v('workerLoopP99', 1)} / ${v('workerLoopMax', 1)}; the bench's own (its SMTP server notes when emails arrive) ${v('benchLoopP99', 1)} / ${v('benchLoopMax', 1)}`, ''],
    ['worker memory', `peak RSS ${v('peakRssMb')} MB`, has('rssGrowthPct') ? `RSS growth ${v('rssGrowthPct', 2)} % over ${STEADY_SECONDS} s steady` : '', '≤ 200 MB, ≤ 5 %'],
    has('stealPct') && ['the machine', `steal ${v('stealPct', 1)} %`, 'CPU time the host took from this VM over the run (/proc/stat), a share of both cores: figures of runs with more vary more', ''],
    has('largePeakRssMb') && [`  ${phase.LARGE_COUNT} × 1 MiB queued`, `peak RSS ${v('largePeakRssMb')} MB`, `all handled in ${v('largeSeconds', 1)} s (MAX_BYTES_IN_FLIGHT 4 MiB)`, '≤ 200 MB'],
    has('pg1IngestPerSec') && ['ingest on PostgreSQL, 1 process (events/s)', v('pg1IngestPerSec'), `worker CPU per event ${v('pg1IngestCpuMs', 3)} ms`, ''],
    has('pg2IngestPerSec') && ['ingest on PostgreSQL, 2 processes (events/s)', v('pg2IngestPerSec'), '', ''],
    has('pgNoBrokerPerSec') && ['  storage alone, PostgreSQL (events/s)', v('pgNoBrokerPerSec'), `PostgreSQL's part alone ${v('pgOnlyPerSec')}/s, the worker's CPU per event for it ${v('pgStoreCpuMs', 3)} ms`, ''],
    has('pg1DeliveryPerSec') && ['delivery on PostgreSQL, 1 process (emails/s)', v('pg1DeliveryPerSec'), `bare nodemailer pool ${v('pg1BareSmtpPerSec')}/s`, ''],
    has('pg2DeliveryPerSec') && ['delivery on PostgreSQL, 2 processes (emails/s)', v('pg2DeliveryPerSec'), `bare nodemailer pool ${v('pg2BareSmtpPerSec')}/s`, ''],
  ];
  return ['| measure | worker | same run, for comparison | goal |', '|---|---|---|---|', ...rows.flatMap((r) => (r ? [`| ${r.join(' | ')} |`] : []))];
}

const vhost = createVhost('bench');
const smtp = await new CountingSmtp().start();
try {
  const bodies = Array.from({ length: N }, (_, i) => activationEvent(i, phase.template));
  const all: Figures[] = [];
  for (let run = 1; run <= runs; run++) {
    say(`bench${quick ? ' --quick' : ''}: run ${run} of ${runs}`);
    all.push(await oneRun(vhost.url, smtp, bodies));
    // Each run's figures as soon as it ends: a later run that fails does not take them along.
    say(JSON.stringify({ run, ...all.at(-1) }));
  }
  for (const line of table(all)) console.log(line);
  const phases = Object.entries(phase.memory.byPhase).map(([name, rss]) => `${name} ${Math.round(rss / 1024 / 1024)} MB`).join(', ');
  console.log(`\npeak RSS by phase (worker roles): ${phases}`);
  console.log(JSON.stringify({ runs: all }));
} finally {
  await smtp.stop();
  vhost.delete();
}

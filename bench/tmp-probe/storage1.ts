/**
 * The ingest's storage alone, in a process of its own: the same activations, batches of 500,
 * through the worker's own handlers and store, with no broker. For one store (sqlite, the
 * default, or postgres: a database made for the run on TEST_DATABASE_URL's server):
 * - `storePerSec`: only what the store does per batch (the two reads, the four multi-row writes,
 *   the commit), the handlers having decided beforehand: the ceiling for any worker that keeps
 *   this state in this store, one batch at a time;
 * - `pipelinePerSec`: parse and validate, read, decide, write, commit: the worker minus the broker;
 * - `storeCpuMs`, `pipelineCpuMs`: CPU time of this process (all its threads: sqlite3 works in
 *   libuv's) per activation, for each of the two. PostgreSQL's own work is in its server
 *   processes, not here: what the store costs the worker.
 * Usage: tsx bench/storage.ts <events> [sqlite|postgres]; prints JSON.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import { PostgresStore } from '../../src/store/postgres/store.js';
import type { Store } from '../../src/store/store.js';
import { BatchState } from '../../src/intake/batch-state.js';
import { parseIncoming } from '../../src/messages/schemas.js';
import { handle } from '../../src/handlers/index.js';
import type { IncomingEvent } from '../../src/messages/incoming.js';
import { createLogger } from '../../src/logger.js';
import { createDatabase, type TestDatabase } from '../../test/support/postgres.js';
import { activationEvent } from '../world.js';

const n = Number(process.argv[2] ?? 20_000);
const kind = process.argv[3] === 'postgres' ? 'postgres' : 'sqlite';
const BATCH = Number(process.env.BATCH ?? 500);
const template = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/activated-payroll-has-service.json'), 'utf8'));
const bodies = Array.from({ length: n }, (_, i) => activationEvent(i, template));
const settings = { policy: { reminderDays: [3, 7], invitationExpiryDays: 14 }, activationSecret: 'bench', activationTokenTtlMs: 7 * 86_400_000 };
const log = createLogger('silent');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'collab-storage-'));
const databases: TestDatabase[] = [];

async function freshStore(name: string): Promise<Store> {
  if (kind === 'sqlite') return SqliteStore.open(path.join(dir, `${name}.db`));
  const database = await createDatabase(`bench_${name}`);
  databases.push(database);
  return PostgresStore.open({ url: database.url, size: 2 });
}

function parse(batch: Buffer[]): IncomingEvent[] {
  return batch.flatMap((body) => {
    const p = parseIncoming(body, 'application/cloudevents+json');
    return p.ok ? [p.event] : [];
  });
}

function decide(state: BatchState, events: IncomingEvent[], now: Date): void {
  for (const event of events) {
    const scope = state.scope(event, now);
    const outcome = handle(event, { ...settings, state: scope, now, log });
    if (outcome.kind === 'done') state.commit(event, scope);
  }
}

/** Rate and CPU ms per activation of `work`. */
async function measure(work: () => Promise<void>): Promise<{ perSec: number; cpuMs: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await work();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { perSec: n / seconds, cpuMs: (used.user + used.system) / 1000 / n };
}

const batches = Array.from({ length: Math.ceil(n / BATCH) }, (_, i) => bodies.slice(i * BATCH, (i + 1) * BATCH));
const now = new Date();
const stores: Store[] = [];
try {
  // The store alone: decided first (against an empty store), then timed: reads, writes, commit.
  const scratch = await freshStore('scratch');
  stores.push(scratch);
  const decided: { events: IncomingEvent[]; state: BatchState }[] = [];
  for (const batch of batches) {
    const events = parse(batch);
    const state = await scratch.transaction((tx) => BatchState.load(tx, events));
    decide(state, events, now);
    decided.push({ events, state });
  }
  const storeOnly = await freshStore('store');
  stores.push(storeOnly);
  const store = await measure(async () => {
    for (const { events, state } of decided) {
      await storeOnly.transaction(async (tx) => {
        await tx.collaborations.load([...new Set(events.map((e) => e.data.collaborationId))]);
        await tx.inbox.findHandled(events);
        await state.write(tx, now.getTime());
      });
    }
  });

  // The worker minus the broker.
  const pipelineStore = await freshStore('pipeline');
  stores.push(pipelineStore);
  const pipeline = await measure(async () => {
    for (const batch of batches) {
      const events = parse(batch);
      await pipelineStore.transaction(async (tx) => {
        const state = await BatchState.load(tx, events);
        decide(state, events, now);
        await state.write(tx, now.getTime());
      });
    }
  });
  const wal = fs.statSync(path.join(dir, "pipeline.db-wal"), { throwIfNoEntry: false })?.size; const db = fs.statSync(path.join(dir, "pipeline.db")).size; console.log("wal", wal, "db", db);
  console.log(JSON.stringify({ store: kind, storePerSec: store.perSec, pipelinePerSec: pipeline.perSec, storeCpuMs: store.cpuMs, pipelineCpuMs: pipeline.cpuMs }));
} finally {
  for (const s of stores) await s.close();
  for (const database of databases) await database.drop();
  fs.rmSync(dir, { recursive: true, force: true });
}

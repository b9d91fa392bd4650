/**
 * The ingest's storage alone, in a process of its own: the same activations, batches of 500,
 * through the worker's own handlers and SQL, with no broker. Two rates:
 * - `sqlitePerSec`: only what SQLite does per batch (the two reads, the four multi-row writes,
 *   the commit), the handlers having decided beforehand: the ceiling for any worker that keeps
 *   this state in this SQLite file, one writer at a time;
 * - `pipelinePerSec`: parse and validate, read, decide, write, commit: the worker minus the broker.
 * Usage: tsx bench/storage.ts <events>; prints JSON.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../src/store/sqlite/store.js';
import { BatchState } from '../src/intake/batch-state.js';
import { parseIncoming } from '../src/messages/schemas.js';
import { handle } from '../src/handlers/index.js';
import type { IncomingEvent } from '../src/messages/incoming.js';
import { createLogger } from '../src/logger.js';
import { activationEvent } from './world.js';

const n = Number(process.argv[2] ?? 20_000);
const BATCH = 500;
const template = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../test/fixtures/activated-payroll-has-service.json'), 'utf8'));
const bodies = Array.from({ length: n }, (_, i) => activationEvent(i, template));
const settings = { policy: { reminderDays: [3, 7], invitationExpiryDays: 14 }, activationSecret: 'bench', activationTokenTtlMs: 7 * 86_400_000 };
const log = createLogger('silent');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'collab-storage-'));

function freshDatabase(name: string): Promise<SqliteStore> {
  return SqliteStore.open(path.join(dir, name));
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

const batches = Array.from({ length: Math.ceil(n / BATCH) }, (_, i) => bodies.slice(i * BATCH, (i + 1) * BATCH));
const now = new Date();

// SQLite alone: decided first (against an empty database), then timed: reads, writes, commit.
const scratch = await freshDatabase('scratch.db');
const decided: { events: IncomingEvent[]; state: BatchState }[] = [];
for (const batch of batches) {
  const events = parse(batch);
  const state = await scratch.transaction((tx) => BatchState.load(tx, events));
  decide(state, events, now);
  decided.push({ events, state });
}
const sqliteDb = await freshDatabase('sqlite.db');
let start = performance.now();
for (const { events, state } of decided) {
  await sqliteDb.transaction(async (tx) => {
    await tx.collaborations.load([...new Set(events.map((e) => e.data.collaborationId))]);
    await tx.inbox.findHandled(events);
    await state.write(tx, now.getTime());
  });
}
const sqlitePerSec = n / ((performance.now() - start) / 1000);

// The worker minus the broker.
const pipelineDb = await freshDatabase('pipeline.db');
start = performance.now();
for (const batch of batches) {
  const events = parse(batch);
  await pipelineDb.transaction(async (tx) => {
    const state = await BatchState.load(tx, events);
    decide(state, events, now);
    await state.write(tx, now.getTime());
  });
}
const pipelinePerSec = n / ((performance.now() - start) / 1000);

for (const db of [scratch, sqliteDb, pipelineDb]) await db.close();
fs.rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ sqlitePerSec, pipelinePerSec }));

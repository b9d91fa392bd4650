/**
 * `npm run bench:reminders`: the reminder job's cost follows the due invitations, not all that
 * are stored. The same 1,000 due invitations are found and reminded among 1,000 and among
 * 1,000,000 stored ones (use --quick for 100,000), and the query plan is printed.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../src/store/sqlite/store.js';
import { insertRows } from '../src/store/sqlite/bulk.js';
import { runReminderPass } from '../src/reminders/reminder-pass.js';
import { createLogger } from '../src/logger.js';

const quick = process.argv.includes('--quick');
const DUE = 1_000;
const DAY = 86_400_000;
const policy = { reminderDays: [3, 7], invitationExpiryDays: 14 };
const template = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../test/fixtures/activated-payroll-has-service.json'), 'utf8')).data;
const activation = JSON.stringify(template);
const now = Date.UTC(2026, 10, 22, 9);

async function world(stored: number): Promise<{ store: SqliteStore; dir: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'collab-reminders-'));
  const store = await SqliteStore.open(path.join(dir, 'bench.db'));
  const { db } = store;
  const rows: (string | number | null)[][] = [];
  for (let i = 0; i < stored; i++) {
    const due = i < DUE;
    // Not due: invited today (first reminder in 3 days), or long settled.
    const invitedAt = due ? now - 3 * DAY - 60_000 : now - (i % 2 ? 0 : 30 * DAY);
    const state = due || i % 2 ? 'pending' : 'active';
    rows.push([`col-${i}`, state, 'spiris', 'has-service', 'payroll', 'invitation', activation, invitedAt, invitedAt + 14 * DAY, 0,
      state === 'pending' ? invitedAt + 3 * DAY : null, null, null, invitedAt]);
    if (rows.length === 10_000 || i === stored - 1) {
      await db.transaction((sql) => insertRows(sql, `INSERT INTO collaborations (id, state, brand, relation, service_code, invitation_kind, activation,
        invited_at, expires_at, reminders_sent, next_due_at, approved_at, ended_at, updated_at)`, 14, rows.splice(0)));
    }
  }
  return { store, dir };
}

async function measure(stored: number) {
  const { store, dir } = await world(stored);
  const { db } = store;
  let start = performance.now();
  const due = await store.transaction((tx) => tx.collaborations.findDue(now, 10 * DUE));
  const findMs = performance.now() - start;
  const plan = await db.all<{ detail: string }>(`EXPLAIN QUERY PLAN SELECT * FROM collaborations WHERE state = 'pending' AND next_due_at <= ? ORDER BY next_due_at LIMIT ?`, [now, 500]);
  start = performance.now();
  const pass = await runReminderPass(store, policy, new Date(now), createLogger('silent'));
  const passMs = performance.now() - start;
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return { stored, due: due.length, reminded: pass.reminders.length, findMs, passMs, plan: plan.map((p) => p.detail).join('; ') };
}

const results = [await measure(DUE), await measure(quick ? 100_000 : 1_000_000)];
console.log('| stored | due | reminded | find due (ms) | whole pass (ms) |');
console.log('|---|---|---|---|---|');
for (const r of results) console.log(`| ${r.stored} | ${r.due} | ${r.reminded} | ${r.findMs.toFixed(1)} | ${r.passMs.toFixed(1)} |`);
console.log(`query plan: ${results[1]!.plan}`);
console.log(JSON.stringify(results.map(({ plan: _, ...r }) => r)));

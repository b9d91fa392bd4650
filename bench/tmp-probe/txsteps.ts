import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/store.js';
import { BatchState } from '../../src/intake/batch-state.js';
import { parseIncoming } from '../../src/messages/schemas.js';
import { handle } from '../../src/handlers/index.js';
import { createLogger } from '../../src/logger.js';
import { activationEvent } from '../world.js';
const template = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../test/fixtures/activated-payroll-has-service.json'), 'utf8'));
const settings = { policy: { reminderDays: [3, 7], invitationExpiryDays: 14 }, activationSecret: 'bench', activationTokenTtlMs: 7 * 86_400_000 };
const log = createLogger('silent');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'txsteps-'));
const store = await SqliteStore.open(path.join(dir, 'x.db'));
const db: any = (store as any).db;
const steps = new Map<string, number[]>();
for (const m of ['rawRun', 'rawGet', 'rawAll']) {
  const orig = db[m].bind(db);
  db[m] = async (sql: string, params: any) => { const t = performance.now(); try { return await orig(sql, params); } finally { const k = sql.replace(/\s+/g, ' ').slice(0, 40); (steps.get(k) ?? steps.set(k, []).get(k)!).push(performance.now() - t); } };
}
const total: number[] = [];
const N = Number(process.argv[2] ?? 3000);
for (let i = 0; i < N; i++) {
  const p = parseIncoming(activationEvent(i, template), 'application/cloudevents+json');
  if (!p.ok) throw new Error('bad');
  const t = performance.now();
  await store.transaction(async (tx) => {
    const state = await BatchState.load(tx, [p.event]);
    const now = new Date();
    const scope = state.scope(p.event, now);
    const outcome = handle(p.event, { ...settings, state: scope, now, log });
    if (outcome.kind === 'done') state.commit(p.event, scope);
    await state.write(tx, now.getTime());
  });
  total.push(performance.now() - t);
}
const med = (xs: number[]) => { const s = xs.slice(N / 3).sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const mean = (xs: number[]) => { const s = xs.slice(xs.length / 3); return s.reduce((a, b) => a + b, 0) / s.length; };
console.log('tx total median', med(total).toFixed(3), 'mean', mean(total).toFixed(3));
let sum = 0;
for (const [k, v] of steps) { if (v.length < N / 2) continue; sum += mean(v); console.log(k.padEnd(42), 'median', med(v).toFixed(3), 'mean', mean(v).toFixed(3), 'n', v.length); }
console.log('sum of step means', sum.toFixed(3));
await store.close(); fs.rmSync(dir, { recursive: true });

import sqlite3 from 'sqlite3';
const db = new sqlite3.Database('/tmp/hop.db');
await new Promise(r => db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE IF NOT EXISTS t(id TEXT PRIMARY KEY, v TEXT)', r));
const st = db.prepare('SELECT ? AS x');
const ins = db.prepare('INSERT INTO t VALUES (?, ?)');
const run = (s, p) => new Promise((res, rej) => s.all(p, (e, r) => e ? rej(e) : res(r)));
const exec = (sql) => new Promise((res, rej) => db.exec(sql, (e) => e ? rej(e) : res()));
async function measure(name, n, fn) {
  const c = process.cpuUsage(); const t = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  const dt = performance.now() - t; const u = process.cpuUsage(c);
  console.log(name.padEnd(30), 'wall µs', (dt * 1000 / n).toFixed(0), 'cpu µs', ((u.user + u.system) / n).toFixed(0));
}
for (let k = 0; k < 2; k++) {
await measure('select hop', 5000, (i) => run(st, [i]));
await measure('tx: begin,insert,commit', 3000, async (i) => { await exec('BEGIN IMMEDIATE'); await run(ins, [`a${k}-${i}`, 'x'.repeat(200)]); await exec('COMMIT'); });
await measure('tx: exec all in one', 3000, async (i) => { await exec(`BEGIN IMMEDIATE; INSERT INTO t VALUES ('b${k}-${i}', '${'x'.repeat(200)}'); COMMIT`); });
await measure('tx: 8 hops', 3000, async (i) => { await exec('BEGIN IMMEDIATE'); for (let j = 0; j < 5; j++) await run(st, [j]); await run(ins, [`c${k}-${i}`, 'x'.repeat(200)]); await exec('COMMIT'); });
}

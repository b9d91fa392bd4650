import fs from 'node:fs';
const f = fs.readdirSync('.').find(f => f.endsWith('.cpuprofile'));
const p = JSON.parse(fs.readFileSync(f));
const self = new Map(); const byId = new Map(p.nodes.map(n => [n.id, n]));
const dt = new Map(); for (let i = 0; i < p.samples.length; i++) dt.set(p.samples[i], (dt.get(p.samples[i]) || 0) + (p.timeDeltas[i] || 0));
const fn = new Map();
for (const n of p.nodes) { const t = (dt.get(n.id) || 0) / 1000; const cf = n.callFrame; const k = `${cf.functionName || '(anon)'} ${cf.url.replace(/.*node_modules\//, '').replace(/.*\/work\/main\//,'')}:${cf.lineNumber}`; fn.set(k, (fn.get(k) || 0) + t); }
const tot = [...fn.values()].reduce((a, b) => a + b, 0);
console.log('total ms', tot.toFixed(0));
for (const [k, v] of [...fn.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(v.toFixed(0).padStart(6), k);

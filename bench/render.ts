/**
 * Render cost, in a process of its own as in the worker: the precompiled templates against
 * MJML compiled for each email. Usage: tsx bench/render.ts <renders> <mjmlRenders>; prints JSON.
 */
import { EmailRenderer } from '../src/mail/renderer.js';
import { exampleModels } from '../src/mail/examples.js';

const [renders, mjmlRenders] = process.argv.slice(2).map(Number) as [number, number];
const renderer = await EmailRenderer.load();
const models = exampleModels();
// Steady state, as in a running worker: warm both paths up first.
for (let i = 0; i < renders; i++) renderer.render(models[i % models.length]!);
for (const model of models) await renderer.renderCompilingMjml(model);

let start = performance.now();
for (let i = 0; i < renders; i++) renderer.render(models[i % models.length]!);
const precompiledUs = ((performance.now() - start) * 1000) / renders;
start = performance.now();
for (let i = 0; i < mjmlRenders; i++) await renderer.renderCompilingMjml(models[i % models.length]!);
const mjmlUs = ((performance.now() - start) * 1000) / mjmlRenders;
console.log(JSON.stringify({ precompiledUs, mjmlUs }));

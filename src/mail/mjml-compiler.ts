/** MJML to HTML: in a child process for the worker, in this process for the benchmark's slow path. */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MjmlResult } from './mjml-to-html.js';

export interface MjmlSource {
  key: string;
  mjml: string;
}

// Run from TypeScript sources (npm start, tests), the child needs tsx to load; built, it does not.
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const CHILD = fileURLToPath(new URL(`./mjml-child${FROM_SOURCE ? '.ts' : '.js'}`, import.meta.url));

export function compileInChildProcess(sources: MjmlSource[]): Promise<Map<string, string>> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: FROM_SOURCE ? ['--import', 'tsx'] : [] });
    child.once('error', reject);
    child.once('exit', (code) => code !== 0 && reject(new Error(`the MJML compiler exited with code ${code}`)));
    child.once('message', (results: MjmlResult[]) => {
      const bad = results.filter((r) => r.error !== undefined);
      if (bad.length) reject(new Error(bad.map(invalid).join('\n')));
      else resolve(new Map(results.map((r) => [r.key, r.html!])));
    });
    child.send(sources);
  });
}

/** In this process: only for comparing against the precompiled templates. */
export async function compileHere(source: MjmlSource): Promise<string> {
  const { mjmlToHtml } = await import('./mjml-to-html.js');
  const result = await mjmlToHtml(source);
  if (result.error !== undefined) throw new Error(invalid(result));
  return result.html;
}

const invalid = (r: { key: string; error?: string }) => `email template ${r.key} is not valid MJML: ${r.error}`;

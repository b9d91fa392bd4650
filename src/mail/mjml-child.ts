/**
 * Compiles MJML in a short-lived child process and sends the HTML back. mjml and its
 * dependencies take about 55 MB of memory once loaded; compiled here, they never load into the
 * long-running worker (see mjml-compiler.ts). Every template gets an answer, an error included.
 */
import type { MjmlSource } from './mjml-compiler.js';
import { mjmlToHtml, type MjmlResult } from './mjml-to-html.js';

process.once('message', (requests: MjmlSource[]) => {
  void (async () => {
    const results: MjmlResult[] = [];
    for (const request of requests) results.push(await mjmlToHtml(request));
    process.send!(results, () => process.exit(0));
  })();
});

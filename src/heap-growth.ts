/**
 * Imported first by main.ts: lets the old generation grow by about HEAP_GROWING_PERCENT past what
 * survived V8's last full collection before it collects again (V8 adds the new space and keeps at
 * least 8 MB of room; heap-controller.cc).
 *
 * V8's own factor is chosen after each full collection between 1.1 and 4: 4 (on a machine with
 * 2 GB or more for the heap) when the worker allocates fast against V8's marking speed, as under
 * load. And under load the worker promotes the garbage of batches and emails in flight (objects
 * that outlive two scavenges while a transaction or a send is pending), so the old generation
 * filled to four times its live data before it was collected: 190–228 MB of peak RSS while
 * consuming a backlog and delivering, against 155–157 MB with 50 % (151–152 with 20 %, whose more
 * frequent full collections cost delivery more), at no throughput clear of the machine's noise.
 * The cost is V8's concurrent marking on its own threads: 0.05–0.10 ms more CPU per email while
 * delivering (README, Performance). The flag also takes the place of V8's smaller factors when
 * it reduces memory (an idle worker keeps 50 % of room, not 10 %).
 *
 * V8 reads the flag each time it sets the next limit, so setting it at start is enough. A value
 * given on the command line (`node --heap-growing-percent=N`, or with underscores) wins; 0 there
 * means V8's own factor. NODE_OPTIONS does not take this flag (Node refuses to start).
 */
import v8 from 'node:v8';

export const HEAP_GROWING_PERCENT = 50;

if (!process.execArgv.some((arg) => /^--heap[-_]growing[-_]percent(=|$)/.test(arg))) {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

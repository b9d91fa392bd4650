/**
 * Imported first by main.ts: lets the old generation grow by HEAP_GROWING_PERCENT past what
 * survived V8's last full collection before it collects again.
 *
 * V8's own factor is chosen per collection between 1.1 and 4 (4 on a small heap collected
 * quickly, as this worker's is). Under load the worker promotes the garbage of batches and emails
 * in flight (objects that outlive two scavenges while a transaction or a send is pending), so the
 * old generation filled to four times its live data before it was collected: 206–228 MB of peak
 * RSS while consuming a backlog and delivering, against 156–157 MB with 50 % (151 with 20 %, whose
 * more frequent full collections cost delivery more), at no throughput clear of the machine's
 * noise; the cost is V8's concurrent marking on its own threads, about 0.08 ms of CPU per email
 * (README, Performance). V8 reads the flag each time it sets the next limit, so setting it at start
 * is enough. A value given on the command line (`node --heap-growing-percent=N`) wins; 0 there
 * means V8's own factor.
 */
import v8 from 'node:v8';

export const HEAP_GROWING_PERCENT = 50;

if (!process.execArgv.some((arg) => arg.startsWith('--heap-growing-percent'))) {
  v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}

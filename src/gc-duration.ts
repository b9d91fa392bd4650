/**
 * `nodejs_gc_duration_seconds{kind}` that counts every garbage collection.
 *
 * prom-client 15's default metric of that name observes only the first entry of each list its
 * PerformanceObserver is given. Node hands GC entries over in lists, once per turn of the event
 * loop, so a busy turn with several collections counted one of them: the metric showed less GC
 * than there was, and least when the worker was busiest. This one replaces it in the registry,
 * with the same name, help, labels and buckets, so that dashboards keep working.
 */
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import client from 'prom-client';

const NAME = 'nodejs_gc_duration_seconds';
/** prom-client's own buckets for this metric, in seconds. */
const BUCKETS = [0.001, 0.01, 0.1, 1, 2, 5];
const KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/**
 * Puts the counting histogram in `registry` in place of prom-client's (call after
 * collectDefaultMetrics). Returns a function that stops observing.
 */
export function observeGcDuration(registry: client.Registry): () => void {
  registry.removeSingleMetric(NAME);
  const histogram = new client.Histogram({
    name: NAME,
    help: 'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
    labelNames: ['kind'] as const,
    buckets: BUCKETS,
    registers: [registry],
  });
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) histogram.observe({ kind: kindOf(entry) }, entry.duration / 1000);
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}

function kindOf(entry: PerformanceEntry): string {
  // Node ≥ 16 gives the kind in `detail` (@types/node 20 does not declare it on PerformanceEntry).
  const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
  return (kind !== undefined && KINDS[kind]) || 'unknown';
}

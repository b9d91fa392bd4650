import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics.js';
import { waitFor } from '../support/wait.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

describe('nodejs_gc_duration_seconds', () => {
  const stops: (() => void)[] = [];
  afterEach(() => stops.splice(0).forEach((stop) => stop()));

  it('counts every major collection, also several in one turn of the event loop', async () => {
    // What Node reports, seen by an observer of the test's own.
    let majorsSeen = 0;
    const witness = new PerformanceObserver((list) => {
      majorsSeen += list.getEntries().filter((e) => (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR).length;
    });
    witness.observe({ entryTypes: ['gc'] });
    stops.push(() => witness.disconnect());
    const metrics = new Metrics();
    stops.push(metrics.close);

    for (let i = 0; i < 5; i++) gc(); // all in this turn: Node delivers them as one list
    await waitFor(() => majorsSeen >= 5, 'five major collections reported');
    await new Promise((resolve) => setImmediate(resolve));

    const text = await metrics.registry.metrics();
    expect(Number(/^nodejs_gc_duration_seconds_count\{kind="major"\} (\d+)$/m.exec(text)?.[1])).toBe(majorsSeen);
    // One metric of that name: prom-client's is replaced, not joined by a second.
    expect(text.match(/^# TYPE nodejs_gc_duration_seconds /gm)).toHaveLength(1);
  });
});

import { describe, expect, it } from 'vitest';
import { PrefetchWindow } from '../../src/intake/prefetch-window.js';

const KiB = 1024;
const MiB = 1024 * KiB;

describe('PrefetchWindow', () => {
  it('starts small and doubles after each committed batch that fills it, up to the maximum', () => {
    const w = new PrefetchWindow({ max: 1000, initial: 8, budgetBytes: 16 * MiB });
    const sizes = [w.current];
    for (let i = 0; i < 10; i++) sizes.push(w.afterBatch(2 * KiB, w.current) ?? w.current);
    expect(sizes).toEqual([8, 16, 32, 64, 128, 256, 512, 1000, 1000, 1000, 1000]);
  });

  it('does not grow after a batch that did not commit', () => {
    const w = new PrefetchWindow({ max: 1000, initial: 8, budgetBytes: 16 * MiB });
    expect(w.afterBatch(2 * KiB, 0)).toBeUndefined();
    expect(w.current).toBe(8);
  });

  it('grows only once a whole window has been committed: a worker killed after each first small commit holds no more than the first window', () => {
    const w = new PrefetchWindow({ max: 1000, initial: 8, budgetBytes: 16 * MiB });
    for (let i = 0; i < 7; i++) expect(w.afterBatch(2 * KiB, 1)).toBeUndefined();
    expect(w.current).toBe(8);
    expect(w.afterBatch(2 * KiB, 1)).toBe(16);
    expect(w.afterBatch(2 * KiB, 15)).toBeUndefined();
    expect(w.afterBatch(2 * KiB, 1)).toBe(32);
    w.restart();
    expect(w.afterBatch(2 * KiB, 7)).toBeUndefined();
  });

  it('shrinks at once to the byte budget when large messages arrive, and grows back when they are gone', () => {
    const w = new PrefetchWindow({ max: 1000, initial: 1000, budgetBytes: 16 * MiB, memory: 2 });
    expect(w.afterBatch(1 * MiB, w.current)).toBe(16);
    expect(w.afterBatch(1 * MiB, w.current)).toBeUndefined();
    // the large messages stay in the estimate for `memory` batches, then the window doubles again
    expect(w.afterBatch(2 * KiB, w.current)).toBeUndefined();
    expect(w.afterBatch(2 * KiB, w.current)).toBe(32);
    expect(w.afterBatch(2 * KiB, w.current)).toBe(64);
  });

  it('keeps at least one message in flight, however large', () => {
    const w = new PrefetchWindow({ max: 1000, initial: 8, budgetBytes: 1 * MiB });
    expect(w.afterBatch(50 * MiB, w.current)).toBe(1);
    expect(w.restart()).toBe(1);
  });

  it('restarts small after a subscribe, remembering the sizes seen', () => {
    const w = new PrefetchWindow({ max: 1000, initial: 8, budgetBytes: 16 * MiB });
    for (let i = 0; i < 8; i++) w.afterBatch(2 * KiB, w.current);
    expect(w.current).toBe(1000);
    expect(w.restart()).toBe(8);
  });
});

/**
 * Memory bounded by bytes, not by message count: large messages shrink the prefetch to the byte
 * budget (MAX_BYTES_IN_FLIGHT) and every one is handled once; a message above MAX_MESSAGE_SIZE is
 * kept whole as failed, with a reason that says so. (Peak memory itself is measured by
 * `npm run bench`, not here.)
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, fixtureJson, type Harness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

const MiB = 1024 * 1024;
let h: Harness;
beforeEach(async () => {
  h = await createHarness('large', { maxBytesInFlight: 4 * MiB, maxMessageBytes: 2 * MiB });
});
afterEach(() => h.close());

/** An activation carrying an extension attribute of `bytes` bytes (extensions are allowed and ignored). */
function largeActivation(i: number, bytes: number) {
  const base = fixtureJson('activated-payroll-has-service.json');
  return {
    ...base,
    id: `large-${i}`,
    padding: 'x'.repeat(bytes),
    data: { ...base.data, collaborationId: `col-large-${i}`, customer: { ...base.data.customer, contact: { ...base.data.customer.contact, email: `c${i}@large.example` } } },
  };
}

const readyz = async () => (await (await fetch(`http://127.0.0.1:${h.worker!.httpPort}/readyz`)).json()) as { prefetch: number };

describe('large messages', () => {
  it('are handled once each, with the prefetch cut to the byte budget', async () => {
    const worker = await h.startWorker();
    // Small ones first: the prefetch grows...
    for (let i = 0; i < 40; i++) await h.publish(largeActivation(i, 100));
    await h.smtp.waitForCount(40);
    // ...then 30 of 1 MiB: at most 4 MiB / 1 MiB = 4 unacked at a time once seen.
    for (let i = 40; i < 70; i++) await h.publish(largeActivation(i, MiB));
    await h.smtp.waitForCount(70);
    expect((await readyz()).prefetch).toBeLessThanOrEqual(4);
    await waitFor(async () => (await h.query("SELECT 1 FROM outbox WHERE status != 'done'")).length === 0, 'the outbox to drain');
    expect(new Set(h.smtp.received.map((m) => m.envelopeTo[0])).size).toBe(70);
    expect(h.smtp.received).toHaveLength(70);
    expect(await h.query('SELECT 1 FROM failed_messages')).toEqual([]);
    expect(worker.ready().ready).toBe(true);
  });

  it('a message above MAX_MESSAGE_SIZE is kept whole as failed, unread, with a reason naming the setting', async () => {
    await h.startWorker();
    const big = Buffer.from(JSON.stringify(largeActivation(1, 3 * MiB)));
    await h.publish(big, 'collaboration.activated');
    await h.publish(largeActivation(2, 100));
    await h.smtp.waitForCount(1);
    const [failed] = await waitFor(async () => {
      const rows = await h.query<{ reason: string; type: string; body: Buffer; error_class: string }>('SELECT * FROM failed_messages');
      return rows.length === 1 && rows;
    }, 'the large message to be kept');
    expect(failed!.reason).toMatch(/^the message is 3 MiB \(\d+ bytes\), above MAX_MESSAGE_SIZE \(2 MiB\), so it was not read/);
    expect(failed!.type).toBe('collaboration.activated');
    expect(Buffer.compare(failed!.body, big)).toBe(0);
    expect(h.smtp.received.map((m) => m.envelopeTo[0])).toEqual(['c2@large.example']);
  });
});

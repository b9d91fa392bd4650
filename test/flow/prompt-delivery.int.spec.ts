/**
 * An effect leaves as soon as its cause is committed, and no delivery waits for another: the
 * consumer hands its rows, leased, to its own dispatcher; each row is recorded when its own send
 * is answered, not when the slowest of a batch is.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STORE_KINDS } from '../support/stores.js';
import { createHarness, fixtureJson, type Harness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

let h: Harness;

/** The fixture's activation for customer `n`: its own collaboration, customer and address. */
function activation(n: number): object {
  const event = fixtureJson('activated-payroll-has-service.json');
  const email = `customer-${n}@example.com`;
  return {
    ...event,
    id: `prompt-${n}`,
    data: { ...event.data, collaborationId: `col-prompt-${n}`, customer: { ...event.data.customer, id: `cust-prompt-${n}`, contact: { ...event.data.customer.contact, email } } },
  };
}

/** Each email row's status and attempts so far (`done 1`, `pending 0`), by recipient. */
async function emailRows(): Promise<Map<string, string>> {
  const rows = await h.query<{ status: string; attempts: number; payload: string | object }>(`SELECT status, attempts, payload FROM outbox WHERE channel = 'email'`);
  return new Map(rows.map((r) => {
    const payload = (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as { model: { to: { email: string } } };
    return [payload.model.to.email, `${r.status} ${r.attempts}`];
  }));
}

async function taken(via: string): Promise<number> {
  const text = await h.worker!.metrics.registry.getSingleMetricAsString('collab_outbox_taken_total');
  return Number(new RegExp(`via="${via}"} (\\d+)`).exec(text)?.[1] ?? 0);
}

describe.each(STORE_KINDS)('with the %s store', (store) => {
  beforeEach(async () => {
    h = await createHarness('prompt', {}, store);
  });
  afterEach(() => h.close());

  it('emails the mail server holds back hold back no other delivery, sent or recorded', async () => {
    let release!: () => void;
    // Three held (one for each delivery loop the dispatcher used to have), three not.
    const held = ['customer-0@example.com', 'customer-1@example.com', 'customer-2@example.com'];
    h.smtp.holdFor = { addresses: held, until: new Promise<void>((resolve) => (release = resolve)) };
    // Queued while no worker runs (the first start declares the queue), the held ones first.
    await h.startWorker();
    await h.stopWorker();
    for (let n = 0; n < 6; n++) await h.publish(activation(n));
    await h.startWorker();
    await h.smtp.waitForCount(3);
    await waitFor(() => h.smtp.held === 3, 'the held emails to reach the server');
    // The three others are recorded as sent while the held ones are still in their first attempt
    // (a dispatcher that waited for them would record nothing until they time out and fail).
    await waitFor(async () => [...(await emailRows()).values()].filter((row) => row === 'done 1').length === 3, 'three emails recorded as sent');
    const rows = await emailRows();
    expect(held.map((address) => rows.get(address))).toEqual(['pending 0', 'pending 0', 'pending 0']);
    release();
    await h.smtp.waitForCount(6);
    await waitFor(async () => [...(await emailRows()).values()].every((row) => row === 'done 1'), 'all six recorded as sent, each at its first attempt');
  });

  it("the consumer's rows go straight to its own dispatcher, leased as they are written", async () => {
    await h.startWorker();
    for (let n = 0; n < 3; n++) {
      await h.publish(activation(n));
      await h.smtp.waitForCount(n + 1);
    }
    // Every row of the three activations (their emails and events) handed over; the feeder leased none.
    await waitFor(() => h.capture.events.length >= 3, 'three invitation-sent events');
    const rows = (await h.query<{ rows: number | string }>('SELECT COUNT(*) AS rows FROM outbox'))[0]!.rows;
    expect(Number(rows)).toBeGreaterThanOrEqual(6);
    await waitFor(async () => (await taken('handoff')) === Number(rows), `${rows} rows handed over`);
    expect(await taken('lease')).toBe(0);
  });
});

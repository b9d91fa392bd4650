/**
 * CloudEvents as publishers really send them, through the real worker (real broker, SMTP server
 * and SQLite): data in data_base64, data and data_base64 together, binary content mode, and
 * reasons that quote invisible characters.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, fixtureJson, type Harness } from '../support/harness.js';
import { waitFor } from '../support/wait.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness('cloudevents');
  await h.startWorker();
});
afterEach(() => h.close());

interface FailedRow {
  type: string | null;
  error_class: string;
  reason: string;
}

async function failed(n: number): Promise<FailedRow[]> {
  return waitFor(async () => {
    const rows = await h.query<FailedRow>('SELECT type, error_class, reason FROM failed_messages ORDER BY id');
    return rows.length >= n && rows;
  }, `${n} failed messages`);
}

const activation = () => fixtureJson('activated-payroll-has-service.json');
const base64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

describe('CloudEvents edges', () => {
  it('data_base64 holding JSON is handled as the same event with data', async () => {
    const { data, ...envelope } = activation();
    await h.publish({ ...envelope, data_base64: base64(data) });
    const [mail] = await h.smtp.waitForCount(1);
    expect(mail!.envelopeTo).toEqual(['orjan@akeri-ostlund.example']);
    expect(await h.query('SELECT id, state FROM collaborations')).toEqual([{ id: 'col-1003', state: 'pending' }]);
  });

  it('data and data_base64 together are refused, naming both; a data_base64 that is not base64 JSON is refused naming it', async () => {
    const event = activation();
    await h.publish({ ...event, data_base64: base64(event.data) });
    await h.publish({ ...event, id: 'not-base64', data: undefined, data_base64: 'this is not base64!' });
    const rows = await failed(2);
    expect(rows[0]).toMatchObject({ type: 'collaboration.activated', error_class: 'InvalidMessage' });
    expect(rows[0]!.reason).toMatch(/both data and data_base64/);
    expect(rows[1]!.reason).toMatch(/^data_base64 must be a base64 string/);
    expect(await h.query('SELECT id FROM collaborations')).toEqual([]);
  });

  it('binary content mode is refused with a reason that says to send structured mode, and keeps the type from its headers', async () => {
    const event = activation();
    await h.publish(event.data, 'collaboration.activated', 'application/json', {
      'cloudEvents:specversion': '1.0',
      'cloudEvents:id': event.id,
      'cloudEvents:source': event.source,
      'cloudEvents:type': event.type,
    });
    const [row] = await failed(1);
    expect(row!.type).toBe('collaboration.activated');
    expect(row!.reason).toMatch(/^binary content mode \(AMQP headers cloudEvents:specversion, cloudEvents:id, cloudEvents:source, …\) is not supported: send the event in structured mode/);
    expect(row!.reason).toContain('application/cloudevents+json');
  });

  it('a reason quoting the input shows its invisible and direction-changing characters escaped', async () => {
    const event = activation();
    await h.publish({ ...event, id: 'bidi-type', type: 'collaboration.activated\u202E\u200B' }, 'collaboration.activated');
    await h.publish({ ...event, id: 'bidi-brand', data: { ...event.data, brand: 'spiris\u2028\u0007' } });
    const rows = await failed(2);
    expect(rows[0]!.reason).toBe('unsupported event type "collaboration.activated\\u202E\\u200B" (expected collaboration.activated, collaboration.approved, collaboration.ended)');
    expect(rows[1]!.reason).toBe('data.brand must be one of "spiris", "visma" (got "spiris\\u2028\\u0007")');
    for (const r of rows) expect(r.reason).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069]/);
  });
});

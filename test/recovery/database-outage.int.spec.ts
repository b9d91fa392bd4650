/**
 * PostgreSQL cut from under a worker in the middle of a load: its connections terminated
 * (pg_terminate_backend) and new ones refused for a while, as a failover would. `/readyz` says
 * 503 while the database is away; the worker comes back by itself, and nothing is lost: every
 * event handled, every email out, none kept as failed for the outage.
 */
import http from 'node:http';
import amqp from 'amqplib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, fixtureJson, type Harness } from '../support/harness.js';
import { CountingSmtpServer } from '../support/smtp.js';
import { allowConnections, terminateConnections } from '../support/postgres.js';
import { waitFor } from '../support/wait.js';

const EVENTS = 600;
/** What can be in flight at the cut: 3 delivery loops with a leased batch of 100 rows each. */
const IN_FLIGHT_AT_MOST = 3 * 100;

let h: Harness;
let smtp: CountingSmtpServer;
beforeEach(async () => {
  smtp = await new CountingSmtpServer().start();
  h = await createHarness('outage', { smtpUrl: smtp.url }, 'postgres');
});
afterEach(async () => {
  await allowConnections(h.store.database!.name, true);
  await h.close();
  await smtp.stop();
});

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

function activation(i: number) {
  const base = fixtureJson('activated-payroll-has-service.json');
  return {
    ...base,
    id: `outage-${i}`,
    data: { ...base.data, collaborationId: `col-outage-${i}`, customer: { ...base.data.customer, id: `cust-${i}`, contact: { ...base.data.customer.contact, email: `c-${i}@outage.example` } } },
  };
}

describe('the database cut mid-load', () => {
  it('readyz tells the truth while it is away, and the worker recovers by itself without losing anything', { timeout: 300_000 }, async () => {
    const worker = await h.startWorker();
    const database = h.store.database!.name;
    const connection = await amqp.connect(h.vhost.url);
    const channel = await connection.createConfirmChannel();
    const publish = async (from: number, to: number) => {
      for (let i = from; i < to; i++) channel.publish('collab.events', 'collaboration.activated', Buffer.from(JSON.stringify(activation(i))), { persistent: true });
      await channel.waitForConfirms();
    };
    await publish(0, EVENTS / 2);

    await smtp.waitForCount(EVENTS / 6, 120_000);
    await allowConnections(database, false);
    const terminated = await terminateConnections(database);
    const sentAtCut = smtp.received.length;
    // The other half arrives while the database is away: the intake must hold it, not fail it.
    await publish(EVENTS / 2, EVENTS);
    await connection.close();

    const down = await waitFor(async () => {
      const ready = await get(worker.httpPort, '/readyz');
      return ready.status === 503 && ready;
    }, '/readyz to say 503');
    expect(JSON.parse(down.body)).toMatchObject({ ready: false, database: 'unreachable' });
    expect((await get(worker.httpPort, '/metrics')).body).toMatch(/^collab_database_reachable 0$/m);
    expect((await get(worker.httpPort, '/healthz')).status).toBe(200);

    await allowConnections(database, true);
    const up = await waitFor(async () => {
      const ready = await get(worker.httpPort, '/readyz');
      return ready.status === 200 && ready;
    }, '/readyz to say 200 again', 60_000);
    expect(JSON.parse(up.body)).toMatchObject({ ready: true, database: 'reachable' });

    const count = async (sql: string) => Number((await h.query<{ n: number }>(sql))[0]!.n);
    await waitFor(async () => (await count('SELECT COUNT(*) AS n FROM inbox')) === EVENTS, 'every event handled', 120_000);
    await waitFor(async () => (await count("SELECT COUNT(*) AS n FROM outbox WHERE status != 'done'")) === 0, 'the outbox drained', 120_000);
    await h.stopWorker();

    const emails = (await h.query<{ id: string }>("SELECT id FROM outbox WHERE channel = 'email'")).map((r) => `<${r.id}@collab-worker>`);
    expect(emails).toHaveLength(EVENTS);
    const received = new Map<string, number>();
    for (const m of smtp.received) received.set(m.messageId, (received.get(m.messageId) ?? 0) + 1);
    expect(emails.filter((id) => !received.has(id))).toEqual([]);
    const duplicates = smtp.received.length - received.size;
    expect(duplicates).toBeLessThanOrEqual(Math.min(sentAtCut, IN_FLIGHT_AT_MOST));
    expect(await count('SELECT COUNT(*) AS n FROM failed_messages')).toBe(0);
    console.info(`database-outage: ${EVENTS} events; ${terminated} connections terminated after ${sentAtCut} emails; ${smtp.received.length} emails received, ${duplicates} duplicates; nothing failed`);
  });
});

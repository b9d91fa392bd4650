/**
 * SIGKILL of a worker process in the middle of a few hundred events: after a restart nothing is
 * lost, no command goes out twice under different ids, and duplicate emails are bounded by what
 * was in flight at the kill (at most the outbox batches being delivered).
 */
import amqp from 'amqplib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, fixtureJson, type Harness } from '../support/harness.js';
import { spawnWorker, workerEnv } from '../support/worker-process.js';
import { waitFor } from '../support/wait.js';

const EVENTS = 300;
/** What can be in flight at the kill: 3 delivery loops with a leased batch of 100 rows each. */
const IN_FLIGHT_AT_MOST = 3 * 100;

let h: Harness;
beforeEach(async () => {
  h = await createHarness('kill');
});
afterEach(() => h.close());

function activation(i: number) {
  const base = fixtureJson('activated-scanner-has-account.json');
  const relation = ['has-service', 'has-account', 'new'][i % 3];
  return {
    ...base,
    id: `load-${i}`,
    data: {
      ...base.data,
      collaborationId: `col-load-${i}`,
      customer: { ...base.data.customer, id: `cust-${i}`, relation, contact: { ...base.data.customer.contact, email: `customer-${i}@load.example` } },
    },
  };
}

describe('SIGKILL under load', () => {
  it('loses nothing and bounds duplicates', { timeout: 240_000 }, async () => {
    const env = workerEnv(h.config);
    const first = await spawnWorker(env);
    const connection = await amqp.connect(h.vhost.url);
    const channel = await connection.createConfirmChannel();
    for (let i = 0; i < EVENTS; i++) {
      channel.publish('collab.events', 'collaboration.activated', Buffer.from(JSON.stringify(activation(i))), { persistent: true });
    }
    await channel.waitForConfirms();
    await connection.close();

    // Kill it mid-way: some emails out, most not.
    await h.smtp.waitForCount(EVENTS / 5, 60_000);
    await first.kill('SIGKILL');
    const killedAt = Date.now();
    // Only an email whose first copy arrived before the kill can arrive twice.
    const sentBeforeKill = h.smtp.received.length;

    const second = await spawnWorker(env);
    try {
      await waitFor(async () => (await h.query('SELECT 1 FROM inbox')).length === EVENTS, 'every event handled', 90_000);
      await waitFor(async () => (await h.query("SELECT 1 FROM outbox WHERE status != 'done'")).length === 0, 'the outbox drained', 90_000);
    } finally {
      await second.kill('SIGTERM');
    }
    const recoveredMs = Date.now() - killedAt;

    const recipients = h.smtp.received.map((m) => m.envelopeTo[0]!);
    const distinct = new Set(recipients);
    const duplicates = recipients.length - distinct.size;
    expect(distinct.size).toBe(EVENTS); // nothing lost
    expect(duplicates).toBeLessThanOrEqual(Math.min(sentBeforeKill, IN_FLIGHT_AT_MOST));

    // commands: 2 of every 3 relations get subscription.service.activate; one id per command
    const expectedCommands = Array.from({ length: EVENTS }, (_, i) => i % 3 !== 0).filter(Boolean).length;
    await h.capture.waitForCommands(expectedCommands);
    const idsByCollaboration = new Map<string, Set<string>>();
    for (const c of h.capture.commands) {
      const key = `${c.routingKey}/${c.body.data.collaborationId as string}`;
      idsByCollaboration.set(key, (idsByCollaboration.get(key) ?? new Set()).add(c.body.id));
    }
    expect(idsByCollaboration.size).toBe(expectedCommands);
    expect([...idsByCollaboration.values()].every((ids) => ids.size === 1)).toBe(true);
    expect(await h.query('SELECT 1 FROM failed_messages')).toHaveLength(0);

    console.info(
      `kill-under-load: ${EVENTS} events; ${sentBeforeKill} emails before SIGKILL; ${recipients.length} emails received, ` +
        `${distinct.size} distinct, ${duplicates} duplicates; ${h.capture.commands.length} commands for ${expectedCommands} expected ` +
        `(${h.capture.commands.length - expectedCommands} re-sent with the same id); recovered and drained in ${recoveredMs} ms`,
    );
  });
});

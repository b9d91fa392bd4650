/**
 * Several machines' worth of workers: three worker processes on one PostgreSQL database and one
 * vhost, 3,000 activations, one process SIGKILLed mid-stream. Nothing is lost, duplicates are
 * bounded by what the killed process had in flight, no command goes out under two ids; then
 * three reminder passes at the same instant, in three processes, send each reminder once.
 */
import amqp from 'amqplib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, fixtureJson, type Harness } from '../support/harness.js';
import { CountingSmtpServer } from '../support/smtp.js';
import { spawnWorker, workerEnv, type WorkerProcess } from '../support/worker-process.js';
import { runCli } from '../support/cli.js';
import { waitFor } from '../support/wait.js';

const EVENTS = 3_000;
/** What the killed process can have in flight: 3 delivery loops with a leased batch of 100 rows each. */
const IN_FLIGHT_AT_MOST = 3 * 100;
const DAY = 86_400_000;

let h: Harness;
let smtp: CountingSmtpServer;
beforeEach(async () => {
  h = await createHarness('instances', {}, 'postgres');
  smtp = await new CountingSmtpServer().start();
});
afterEach(async () => {
  await h.close();
  await smtp.stop();
});

function activation(i: number) {
  const base = fixtureJson('activated-scanner-has-account.json');
  const relation = ['has-service', 'has-account', 'new'][i % 3];
  return {
    ...base,
    id: `many-${i}`,
    data: {
      ...base.data,
      collaborationId: `col-many-${i}`,
      customer: { ...base.data.customer, id: `cust-${i}`, relation, contact: { ...base.data.customer.contact, email: `customer-${i}@many.example` } },
    },
  };
}

const count = async (sql: string) => Number((await h.query<{ n: number }>(sql))[0]!.n);
const messageIds = (ids: string[]) => ids.map((id) => `<${id}@collab-worker>`);

describe('three worker processes on one PostgreSQL database', () => {
  it('SIGKILL of one mid-stream: every email, every command once by id, and each reminder once', { timeout: 600_000 }, async () => {
    const env = workerEnv({ ...h.config, smtpUrl: smtp.url });
    const workers: WorkerProcess[] = await Promise.all([1, 2, 3].map(() => spawnWorker(env)));
    const connection = await amqp.connect(h.vhost.url);
    const channel = await connection.createConfirmChannel();
    for (let i = 0; i < EVENTS; i++) {
      channel.publish('collab.events', 'collaboration.activated', Buffer.from(JSON.stringify(activation(i))), { persistent: true });
    }
    await channel.waitForConfirms();
    await connection.close();

    await smtp.waitForCount(EVENTS / 5, 240_000);
    await workers[1]!.kill('SIGKILL');
    const killedAt = Date.now();
    const sentBeforeKill = smtp.received.length;
    const survivors = [workers[0]!, workers[2]!];

    let reminderRuns: { code: number; stdout: string; stderr: string }[];
    try {
      // The killed process's leases run out (15 s); the others take its rows then.
      await waitFor(async () => (await count('SELECT COUNT(*) AS n FROM inbox')) === EVENTS, 'every event handled', 300_000);
      await waitFor(async () => (await count("SELECT COUNT(*) AS n FROM outbox WHERE status != 'done'")) === 0, 'the outbox drained', 300_000);
      const recoveredMs = Date.now() - killedAt;

      // Three reminder passes at the same instant, each in its own process, while two workers deliver.
      const at = new Date(Date.now() + 3 * DAY + 60_000).toISOString();
      reminderRuns = await Promise.all([1, 2, 3].map(() => runCli(['reminders', 'run', '--at', at, '--yes', '--json'], env)));
      await waitFor(async () => (await count("SELECT COUNT(*) AS n FROM outbox WHERE status != 'done'")) === 0, 'the reminders delivered', 300_000);
      console.info(`several-instances: recovered and drained ${recoveredMs} ms after the SIGKILL`);
    } finally {
      for (const worker of survivors) await worker.kill('SIGTERM');
    }

    // every email of the activations arrived; duplicates only of what the killed one had in flight
    const firstWave = messageIds((await h.query<{ id: string }>("SELECT id FROM outbox WHERE channel = 'email' AND topic <> 'reminder'")).map((r) => r.id));
    expect(firstWave).toHaveLength(EVENTS);
    const receivedIds = smtp.received.map((m) => m.messageId);
    const received = new Map<string, number>();
    for (const id of receivedIds) received.set(id, (received.get(id) ?? 0) + 1);
    expect(firstWave.filter((id) => !received.has(id))).toEqual([]);
    const duplicates = firstWave.reduce((sum, id) => sum + received.get(id)! - 1, 0);
    expect(duplicates).toBeLessThanOrEqual(Math.min(sentBeforeKill, IN_FLIGHT_AT_MOST));

    // commands: 2 of every 3 relations get subscription.service.activate, each under one id
    const expectedCommands = Array.from({ length: EVENTS }, (_, i) => i % 3 !== 0).filter(Boolean).length;
    await h.capture.waitForCommands(expectedCommands, 60_000);
    const idsByCommand = new Map<string, Set<string>>();
    for (const c of h.capture.commands) {
      const key = `${c.routingKey}/${c.body.data.collaborationId as string}`;
      idsByCommand.set(key, (idsByCommand.get(key) ?? new Set()).add(c.body.id));
    }
    expect(idsByCommand.size).toBe(expectedCommands);
    expect([...idsByCommand.values()].filter((ids) => ids.size !== 1)).toEqual([]);

    // each reminder claimed by one pass, queued once, mailed once, announced once
    for (const run of reminderRuns!) expect(run.code, run.stderr).toBe(0);
    const claimed = reminderRuns!.flatMap((run) => (JSON.parse(run.stdout) as { reminders: { collaborationId: string }[] }).reminders.map((r) => r.collaborationId));
    expect(claimed).toHaveLength(EVENTS);
    expect(new Set(claimed).size).toBe(EVENTS);
    const reminders = messageIds((await h.query<{ id: string }>("SELECT id FROM outbox WHERE topic = 'reminder'")).map((r) => r.id));
    expect(reminders).toHaveLength(EVENTS);
    expect(reminders.filter((id) => received.get(id) !== 1)).toEqual([]);
    const announced = await waitFor(() => {
      const events = h.capture.events.filter((e) => e.routingKey === 'collaboration.reminder-sent');
      return events.length >= EVENTS && events;
    }, 'the reminder-sent events', 60_000);
    expect(new Set(announced.map((e) => e.body.data.collaborationId)).size).toBe(EVENTS);
    expect(announced).toHaveLength(EVENTS);
    expect(await count('SELECT COUNT(*) AS n FROM failed_messages')).toBe(0);

    console.info(
      `several-instances: ${EVENTS} activations on 3 workers; ${sentBeforeKill} emails before the SIGKILL; ` +
        `${firstWave.length} first emails all received, ${duplicates} duplicates; ${h.capture.commands.length} commands for ` +
        `${expectedCommands} expected, one id each; ${claimed.length} reminders claimed by 3 passes ` +
        `(${reminderRuns!.map((run) => (JSON.parse(run.stdout) as { reminders: unknown[] }).reminders.length).join(' + ')}), each mailed once`,
    );
  });
});

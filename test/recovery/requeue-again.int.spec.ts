/**
 * A message sent back by support, or one that carries the broker's dead-letter history, must stay
 * in sight: listed again when it fails again, retried like any other when it needs a retry.
 */
import amqp from 'amqplib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, fixtureJson, type Harness } from '../support/harness.js';
import { runCli } from '../support/cli.js';
import { workerEnv } from '../support/worker-process.js';
import { waitFor } from '../support/wait.js';

let h: Harness;
let env: Record<string, string>;
beforeEach(async () => {
  h = await createHarness('requeue-again', { deliveryLimit: 2 });
  env = workerEnv(h.config);
});
afterEach(() => h.close());

interface Listed {
  id: number;
  status: string;
  attempts: number;
  errorClass: string;
}

async function cli(...args: string[]) {
  const result = await runCli(args, env);
  expect(result.code, `${args.join(' ')}: ${result.stdout}${result.stderr}`).toBe(0);
  return result.stdout;
}
const failedList = async (...extra: string[]) => JSON.parse(await cli('failed', 'list', '--json', ...extra)) as Listed[];
const audit = async (id: number) =>
  (await h.query<{ action: string; actor: string }>('SELECT action, actor FROM failed_message_audit WHERE failed_message_id = ? ORDER BY at, id', [id])).map(
    (a) => `${a.action} by ${a.actor}`,
  );
async function retried(type: string): Promise<number> {
  const metric = await h.worker!.metrics.messages.get();
  return metric.values.find((v) => v.labels.type === type && v.labels.outcome === 'retried')?.value ?? 0;
}

/** The broker's record of a message dead-lettered from the events queue past its delivery limit. */
const X_DEATH = [{ queue: 'collab-worker.events', reason: 'delivery_limit', count: 1, exchange: 'collab.events', 'routing-keys': ['collaboration.approved'] }];
const approval = (collaborationId: string) => ({
  ...fixtureJson('approved.json'),
  id: `approval-of-${collaborationId}`,
  data: { collaborationId, approvedBy: { name: 'Karin Berg', email: 'karin@kaffekoppen.example' } },
});
const activation = (collaborationId: string) => {
  const a = fixtureJson('activated-scanner-has-account.json');
  return { ...a, id: `activation-of-${collaborationId}`, data: { ...a.data, collaborationId } };
};

describe('a requeued message that fails again', () => {
  it('is listed as failed again, with its attempts added up and both steps in its audit trail', async () => {
    await h.startWorker();
    await h.publish(Buffer.from('{not json'), 'collaboration.activated');
    const [failed] = await waitFor(async () => {
      const rows = await failedList();
      return rows.length === 1 && rows;
    }, 'the bad body to be kept as failed');
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });

    expect(await cli('failed', 'requeue', String(failed!.id), '--actor', 'support-anna')).toContain('1 of 1 requeued');
    const [again] = await waitFor(async () => {
      const rows = await failedList();
      return rows.length === 1 && rows[0]!.attempts === 2 && rows;
    }, 'the requeued body to be listed as failed again');
    expect(again).toMatchObject({ id: failed!.id, status: 'failed', attempts: 2 });
    expect(await audit(failed!.id)).toEqual(['requeued by support-anna', 'failed again by worker']);

    // and it can be sent back again
    expect(await cli('failed', 'requeue', String(failed!.id), '--actor', 'support-anna')).toContain('1 of 1 requeued');
    await waitFor(async () => (await failedList())[0]?.attempts === 3, 'the third failure');
  });
});

describe("the broker's bookkeeping headers", () => {
  it('a message carrying x-death of the events queue is retried like any other, and applied once its activation arrives', async () => {
    await h.startWorker();
    await h.publishToQueue('collab-worker.events', approval('col-xd-1'), {
      'x-death': X_DEATH,
      'x-first-death-queue': 'collab-worker.events',
      'x-first-death-reason': 'delivery_limit',
      'x-first-death-exchange': 'collab.events',
    });
    await waitFor(async () => (await retried('collaboration.approved')) >= 1, 'the approval to be retried');
    await h.publish(activation('col-xd-1'));
    await waitFor(async () => (await h.query("SELECT 1 FROM collaborations WHERE id = 'col-xd-1' AND state = 'active'")).length === 1, 'the approval to be applied');
    expect(await failedList('--all')).toEqual([]);
  });

  it('a poison message requeued by support that then needs a retry comes back, is applied, and its record says so', async () => {
    // A crashing worker, played by a consumer that takes the approval and lets it go, past the delivery limit.
    await h.startWorker();
    await h.stopWorker();
    await h.publish(approval('col-xd-2'));
    const connection = await amqp.connect(h.vhost.url);
    const channel = await connection.createChannel();
    await channel.consume('collab-worker.events', (msg) => msg && channel.nack(msg, false, true));
    await waitFor(async () => (await (await connection.createChannel()).checkQueue('collab-worker.dead-letter')).messageCount === 1, 'the approval to be dead-lettered');
    await connection.close();

    await h.startWorker();
    const [poison] = await waitFor(async () => {
      const rows = await failedList();
      return rows.length === 1 && rows;
    }, 'the poison message to be kept');
    expect(poison).toMatchObject({ errorClass: 'PoisonMessage', attempts: 3 });
    const kept = await h.query<{ headers: string }>('SELECT headers FROM failed_messages');
    expect(JSON.parse(kept[0]!.headers)).toHaveProperty('x-death'); // kept for support to read

    await cli('failed', 'requeue', String(poison!.id), '--actor', 'support-bo');
    await waitFor(async () => (await retried('collaboration.approved')) >= 1, 'the requeued approval to be retried');
    await h.publish(activation('col-xd-2'));
    await waitFor(async () => (await h.query("SELECT 1 FROM collaborations WHERE id = 'col-xd-2' AND state = 'active'")).length === 1, 'the approval to be applied');
    await waitFor(async () => (await audit(poison!.id)).length === 2, 'the outcome in the audit trail');
    expect(await audit(poison!.id)).toEqual(['requeued by support-bo', 'handled by worker']);
    expect(await failedList()).toEqual([]);
  });
});

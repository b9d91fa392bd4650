/**
 * What support meets at the command line, through the real CLI entry point, against a real
 * broker and database: a closed pipe, a vhost the worker never ran on, a missing file, archiving
 * twice, a failed message without a readable body, and watching what the worker publishes.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, fixture, FIXTURES, type Harness } from '../support/harness.js';
import { runCli } from '../support/cli.js';
import { createVhost } from '../support/rabbit.js';
import { workerEnv } from '../support/worker-process.js';
import { waitFor } from '../support/wait.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

let h: Harness;
let env: Record<string, string>;
beforeEach(async () => {
  h = await createHarness('support-cli');
  env = workerEnv(h.config);
});
afterEach(() => h.close());

/** The CLI with its stdout as a pipe whose reader has already gone (`... | head` after head exits). */
function cliIntoClosedPipe(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
}

describe('the command line as support uses it', () => {
  it('a reader that stops early (| head) ends the command quietly, without a stack trace', async () => {
    const { code, stderr } = await cliIntoClosedPipe(['failed', 'list', '--all']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('publish to a vhost where the worker never ran says to start the worker or declare the exchange', async () => {
    const fresh = createVhost('support-cli-fresh');
    try {
      const result = await runCli(['publish', path.join(FIXTURES, 'approved.json')], { ...env, AMQP_URL: fresh.url });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error: the exchange collab\.events does not exist on virtual host "test-support-cli-fresh-\w+": start the worker once .*or declare it yourself \(topic, durable\); nothing was published\n$/);
    } finally {
      fresh.delete();
    }
  });

  it('publish with a missing file publishes nothing and says which file', async () => {
    await h.startWorker();
    const missing = path.join(FIXTURES, 'no-such-event.json');
    const failed = await runCli(['publish', path.join(FIXTURES, 'activated-payroll-has-service.json'), missing], env);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe(`error: ${missing}: no such file; nothing was published\n`);
    expect(failed.stdout).toBe('');
    const ok = await runCli(['publish', path.join(FIXTURES, 'activated-scanner-has-account.json')], env);
    expect(ok.code, ok.stderr).toBe(0);
    await h.smtp.waitForCount(1);
    await h.stopWorker();
    expect(await h.query('SELECT id FROM collaborations')).toEqual([{ id: 'col-1002' }]);
  });

  it('a body that is not JSON is listed with the event type of its routing key; archive twice changes nothing the second time; unarchive brings it back', async () => {
    await h.startWorker();
    await h.publish(fixture('invalid/truncated-json.txt'), 'collaboration.activated');
    const rows = await waitFor(async () => {
      const r = JSON.parse((await runCli(['failed', 'list', '--json'], env)).stdout) as { id: number; type: string | null }[];
      return r.length === 1 && r;
    }, 'the failed message');
    expect(rows[0]!.type).toBe('collaboration.activated');
    const id = String(rows[0]!.id);
    expect((await runCli(['failed', 'list'], env)).stdout).toMatch(new RegExp(`^#${id} .* collaboration\\.activated `, 'm'));

    expect((await runCli(['failed', 'archive', id, '--actor', 'anna'], env)).stdout).toBe(`#${id} archived\n1 of 1 archived\n`);
    expect((await runCli(['failed', 'archive', id, '--actor', 'anna'], env)).stdout).toBe(`#${id} not archived: its status is archived, not failed\n0 of 1 archived\n`);
    expect(JSON.parse((await runCli(['failed', 'list', '--json'], env)).stdout)).toEqual([]);
    expect((await runCli(['failed', 'unarchive', id, '--actor', 'bo'], env)).stdout).toBe(`#${id} unarchived\n1 of 1 unarchived\n`);
    expect(JSON.parse((await runCli(['failed', 'list', '--json'], env)).stdout)).toHaveLength(1);
    const audit = (await runCli(['failed', 'show', id], env)).stdout.split('audit:\n')[1]!.trim().split('\n');
    expect(audit.map((l) => l.trim().replace(/^\S+\s+/, ''))).toEqual(['archived  by anna', 'unarchived  by bo']);
  });

  it('tap prints what the worker publishes, on a plain RabbitMQ, one line a message', async () => {
    await h.startWorker();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'tap', '--count', '3'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await waitFor(() => stderr.includes('tapping'), 'tap to listen');
    await h.publish(fixture('activated-scanner-has-account.json'));
    expect(await exited).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines.map((l) => l.split('  ').slice(0, 2).join(' ')).sort()).toEqual([
      'collab.events collaboration.activated',
      'collab.events collaboration.invitation-sent',
      'integration.commands subscription.service.activate',
    ]);
    const command = lines.find((l) => l.startsWith('integration.commands'))!;
    expect(JSON.parse(command.split('  ')[2]!)).toMatchObject({ type: 'subscription.service.activate', source: '/collab-worker', data: { collaborationId: 'col-1002' } });
  });
});

/**
 * Starting and stopping the worker as users run it: a broker that is not there yet is waited
 * for with /healthz answering; `npm start` (what the README says to run) stops cleanly on
 * SIGTERM and on SIGINT, also on a second signal during the stop, and leaves no process behind.
 */
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHarness, fixture, type Harness } from '../support/harness.js';
import { launchWorker, workerEnv, type LaunchedWorker } from '../support/worker-process.js';
import { waitFor } from '../support/wait.js';

/** Bounds for a loaded 2-core machine: `npm start` compiles the TypeScript first. */
const START_MS = 90_000;
const STOP_MS = 20_000;

let h: Harness;
let pids: number[] = [];
beforeEach(async () => {
  h = await createHarness('start-stop');
  pids = [];
});
afterEach(async () => {
  // an orphaned worker (what `npm start` left before) must not outlive its test
  for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  await h.close();
});

function alive(pid: number): boolean {
  if (!(pid > 0)) return false; // 0 would be this process's own group
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The `node … dist/main.js` process in the process tree under `root` (npm, maybe a shell between). */
function workerUnder(root: number): number {
  const children = (pid: number) =>
    execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean).map((line) => {
      const [, child, args] = /^\s*(\d+)\s+(.*)$/.exec(line)!;
      return { pid: Number(child), args: args! };
    });
  const queue = [root];
  while (queue.length) {
    let found: { pid: number; args: string }[] = [];
    try {
      found = children(queue.shift()!);
    } catch {
      continue; // ps exits 1 when there are none
    }
    const worker = found.find((p) => /^\S*node\s.*dist\/main\.js/.test(p.args)); // not the `sh -c` around it
    if (worker) return worker.pid;
    queue.push(...found.map((p) => p.pid));
  }
  return 0;
}

const lines = (w: LaunchedWorker, msg: string) => w.logs.filter((line) => line.includes(`"msg":"${msg}`));
const status = async (w: LaunchedWorker, path: string) => (await fetch(`http://127.0.0.1:${w.httpPort()}${path}`)).status;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('a broker that is not reachable yet', () => {
  it('is retried with its target logged (once at warn, not every attempt); /healthz 200 and /readyz 503 meanwhile; consuming once it answers', async () => {
    const port = await freePort();
    const url = new URL(h.vhost.url);
    url.port = String(port);
    const worker = launchWorker(workerEnv(h.config, { AMQP_URL: url.toString(), LOG_LEVEL: 'debug' }));
    await waitFor(() => worker.httpPort(), 'the HTTP server', START_MS);
    expect(await status(worker, '/healthz')).toBe(200);
    expect(await status(worker, '/readyz')).toBe(503);
    expect(await (await fetch(`http://127.0.0.1:${worker.httpPort()}/readyz`)).json()).toMatchObject({ ready: false, starting: true, broker: 'connecting' });

    // several attempts, at debug; the first, with where and why, at warn
    await waitFor(() => lines(worker, 'cannot connect to the broker; retrying').length >= 4, 'four failed attempts', START_MS);
    const warned = lines(worker, 'cannot connect to the broker; retrying').map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 40);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({
      broker: `amqp://guest:***@127.0.0.1:${port}/${h.vhost.name}`,
      host: '127.0.0.1',
      vhost: h.vhost.name,
      problem: `connection refused: nothing listens on 127.0.0.1:${port}`,
    });
    expect(await status(worker, '/healthz')).toBe(200);

    // the broker appears on that port: the worker connects by itself and becomes ready
    const proxy = net.createServer((client) => {
      const upstream = net.connect(5672, '127.0.0.1');
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => proxy.listen(port, '127.0.0.1', resolve));
    try {
      await waitFor(async () => (await status(worker, '/readyz')) === 200, 'the worker to be ready once the broker answers', START_MS);
      expect(lines(worker, 'connected to the broker after failed attempts')).toHaveLength(1);
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toEqual({ code: 0, signal: null });
    } finally {
      proxy.close();
    }
  });

  it('SIGTERM while it waits for the broker stops it at once, exit code 0', async () => {
    const url = new URL(h.vhost.url);
    url.port = String(await freePort());
    const worker = launchWorker(workerEnv(h.config, { AMQP_URL: url.toString() }));
    await waitFor(() => lines(worker, 'cannot connect to the broker; retrying').length, 'a failed attempt', START_MS);
    worker.child.kill('SIGTERM');
    const exit = await Promise.race([worker.exited, waitFor(() => false, 'the exit', STOP_MS).catch(() => 'still running')]);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(lines(worker, 'stopped before the start finished')).toHaveLength(1);
  });
});

describe('npm start', () => {
  async function npmStart(env: Record<string, string>): Promise<{ npm: LaunchedWorker; pid: number }> {
    const npm = launchWorker(env, ['npm', 'start']);
    await waitFor(() => lines(npm, 'collab-worker started').length || npm.child.exitCode !== null, 'npm start to start the worker', START_MS);
    const pid = workerUnder(npm.child.pid!);
    expect(pid, npm.logs.join('\n')).toBeGreaterThan(0);
    pids.push(pid);
    await waitFor(async () => (await status(npm, '/readyz')) === 200, 'the worker to be ready', START_MS);
    return { npm, pid };
  }

  async function expectCleanExit(npm: LaunchedWorker, pid: number) {
    const exit = await Promise.race([npm.exited, waitFor(() => false, 'npm to exit', STOP_MS).catch(() => 'still running')]);
    expect(exit, npm.logs.join('\n')).toEqual({ code: 0, signal: null });
    await waitFor(() => !alive(pid), `worker process ${pid} to be gone`, STOP_MS);
    expect(lines(npm, 'collab-worker stopped')).toHaveLength(1);
  }

  it('SIGTERM to the npm process stops the worker cleanly: no worker process left', async () => {
    const { npm, pid } = await npmStart(workerEnv(h.config));
    npm.child.kill('SIGTERM');
    await expectCleanExit(npm, pid);
  });

  it('SIGINT, and a second one during the stop that waits for an email in flight: finishes it, exits 0', async () => {
    let release!: () => void;
    h.smtp.hold = new Promise((resolve) => (release = resolve));
    const { npm, pid } = await npmStart(workerEnv(h.config));
    await h.publish(fixture('activated-payroll-has-service.json'));
    await waitFor(() => h.smtp.held > 0, 'an email held in flight by the mail server');

    npm.child.kill('SIGINT'); // npm forwards it to the worker
    await waitFor(() => lines(npm, 'stopping').length === 1, 'the worker to start stopping');
    // A terminal's Ctrl-C reaches the worker directly as well (same process group), and an
    // impatient operator presses it again: the stop goes on, bounded by SHUTDOWN_TIMEOUT.
    process.kill(pid, 'SIGINT');
    await waitFor(() => lines(npm, 'already stopping').length === 1, 'the second signal to arrive');
    expect(alive(pid)).toBe(true); // still finishing the email
    release();
    await expectCleanExit(npm, pid);
    expect(h.smtp.received).toHaveLength(1);
  });
});

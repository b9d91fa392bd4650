/**
 * A bad setting stops the start of the real worker process: exit code 1, within a bounded time,
 * with one line naming the variable (and the path or the broker target, password masked), no
 * stack trace. Nothing hangs, nothing retries forever.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVhost, type TestVhost } from '../support/rabbit.js';
import { launchWorker, type LaunchedWorker } from '../support/worker-process.js';
import { waitFor } from '../support/wait.js';

/** Generous for a loaded 2-core machine (the start compiles TypeScript and MJML); today's faults never end at all. */
const BOUND_MS = 40_000;

let vhost: TestVhost;
let dir: string;

beforeAll(() => {
  vhost = createVhost('settings');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'collab-settings-'));
  fs.chmodSync(dir, 0o755);
  fs.writeFileSync(path.join(dir, 'a-file'), '');
});
afterAll(() => {
  vhost.delete();
  fs.rmSync(dir, { recursive: true, force: true });
});

function env(extra: Record<string, string>): Record<string, string> {
  return { AMQP_URL: vhost.url, DATABASE_PATH: path.join(dir, 'worker.db'), MAIL_DIR: path.join(dir, 'mail'), HTTP_PORT: '0', LOG_LEVEL: 'info', ...extra };
}

async function refusedStart(extra: Record<string, string>, launch: (e: Record<string, string>) => LaunchedWorker = (e) => launchWorker(e)) {
  const worker = launch(env(extra));
  const started = Date.now();
  const exit = await Promise.race([
    worker.exited,
    waitFor(() => false, 'the worker to stop at the bad setting', BOUND_MS).catch(() => {
      worker.child.kill('SIGKILL');
      return { code: 'still running', signal: null };
    }),
  ]);
  const output = worker.logs.join('\n');
  const stderrLine = output.split('\n').find((line) => line.startsWith('collab-worker: ')) ?? '';
  return { exit, output, stderrLine, ms: Date.now() - started };
}

function expectRefused(result: Awaited<ReturnType<typeof refusedStart>>, line: RegExp) {
  expect(result.exit, result.output).toEqual({ code: 1, signal: null });
  expect(result.stderrLine).toMatch(line);
  expect(result.output).not.toMatch(/\n\s+at /); // no stack trace
}

describe('a bad setting stops the start with a message naming it', () => {
  it('settings of the wrong form, before anything connects', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ LOG_LEVEL: 'verbose' }, /^collab-worker: LOG_LEVEL="verbose" is not valid: expected one of fatal, error, warn, info, debug, trace, silent$/],
      [{ SMTP_URL: 'notaurl' }, /^collab-worker: SMTP_URL="notaurl" is not valid: expected a URL such as smtp:/],
      [{ RETRY_DELAYS: '5' }, /^collab-worker: RETRY_DELAYS="5" is not valid: expected comma-separated durations above zero, with units/],
      [{ SHUTDOWN_TIMEOUT: '10' }, /^collab-worker: SHUTDOWN_TIMEOUT="10" is not valid: .*bare number has no unit/],
      [{ MAIL_FROM: 'collab worker' }, /^collab-worker: MAIL_FROM="collab worker" is not valid: expected one email address/],
      [{ AMQP_URL: 'http://guest:s3cret@127.0.0.1:5672' }, /^collab-worker: AMQP_URL="http:\/\/guest:\*\*\*@127.0.0.1:5672" is not valid: expected a URL such as amqp:/],
      [{ AMQP_URL: 'not a url' }, /^collab-worker: AMQP_URL="not a url" is not valid/],
      [{ SUPPORT_USERS_FILE: '/no/such/users' }, /^collab-worker: SUPPORT_USERS_FILE="\/no\/such\/users" is not valid: expected a readable file \(ENOENT\)$/],
      [{ SUPPORT_TOKENS_FILE: '/dev/null', SUPPORT_SESSION_IDLE: '30' }, /^collab-worker: SUPPORT_SESSION_IDLE="30" is not valid: .*bare number has no unit/],
    ];
    for (const [extra, line] of cases) {
      const result = await refusedStart(extra);
      expectRefused(result, line);
      // before anything connects: not even the HTTP server was started
      expect(result.output).not.toContain('collab-worker starting');
      expect(result.output).not.toContain('s3cret');
    }
  });

  it('paths that cannot be written: procfs, a file as the directory, no write permission', async () => {
    const file = path.join(dir, 'a-file');
    expectRefused(await refusedStart({ DATABASE_PATH: '/proc/x/db' }), /^collab-worker: DATABASE_PATH="\/proc\/x\/db" cannot be used: cannot create the directory \/proc\/x \(ENOENT/);
    expectRefused(await refusedStart({ DATABASE_PATH: path.join(file, 'sub', 'worker.db') }), new RegExp(`^collab-worker: DATABASE_PATH=".*/a-file/sub/worker.db" cannot be used: ${file} is a file, not a directory$`));
    expectRefused(await refusedStart({ MAIL_DIR: path.join(file, 'mail') }), new RegExp(`^collab-worker: MAIL_DIR=".*/a-file/mail" cannot be used: ${file} is a file, not a directory$`));

    // Root may write anywhere: the worker then runs as nobody, as an unprivileged user would.
    const readOnly = path.join(dir, 'read-only');
    fs.mkdirSync(readOnly, { mode: 0o555 });
    fs.chmodSync(readOnly, 0o555);
    const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
    const result = await refusedStart({ DATABASE_PATH: path.join(readOnly, 'worker.db') }, (e) => launchAs(e, asUser));
    expectRefused(result, new RegExp(`^collab-worker: DATABASE_PATH=".*/read-only/worker.db" cannot be used: no permission to create files in ${readOnly} \\(EACCES`));
  });

  it('a broker refusal that waiting cannot heal: wrong password, unknown virtual host', async () => {
    const wrongPassword = new URL(vhost.url);
    wrongPassword.password = 'wrong-s3cret';
    const result = await refusedStart({ AMQP_URL: wrongPassword.toString() });
    expectRefused(result, /^collab-worker: AMQP_URL="amqp:\/\/guest:\*\*\*@127.0.0.1:5672\/test-settings-\w+" cannot be used: the broker refused the login of user "guest" \(403 ACCESS_REFUSED/);
    expect(result.output).not.toContain('wrong-s3cret');
    expect(result.output).toContain('"msg":"collab-worker starting'); // /healthz was up meanwhile

    const unknownVhost = new URL(vhost.url);
    unknownVhost.pathname = '/no-such-vhost';
    expectRefused(
      await refusedStart({ AMQP_URL: unknownVhost.toString() }),
      /^collab-worker: AMQP_URL="amqp:\/\/guest:\*\*\*@127.0.0.1:5672\/no-such-vhost" cannot be used: the broker refused the virtual host "no-such-vhost" \(530 NOT_ALLOWED/,
    );
  });

  it('a port another process listens on', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '0.0.0.0', resolve));
    try {
      const port = (taken.address() as net.AddressInfo).port;
      expectRefused(await refusedStart({ HTTP_PORT: String(port) }), new RegExp(`^collab-worker: HTTP_PORT="${port}" cannot be used: another process listens on it \\(EADDRINUSE\\)$`));
      // the support console's port, when it is configured
      expectRefused(
        await refusedStart({ SUPPORT_TOKENS_FILE: '/dev/null', SUPPORT_PORT: String(port) }),
        new RegExp(`^collab-worker: the support console cannot listen on SUPPORT_HOST=127.0.0.1 SUPPORT_PORT=${port}: the port is in use$`),
      );
    } finally {
      taken.close();
    }
  });
});

function launchAs(e: Record<string, string>, ids: { uid?: number; gid?: number }): LaunchedWorker {
  if (ids.uid === undefined) return launchWorker(e);
  // node and tsx run as that user: the command is the same, only the credentials differ
  return launchWorker(e, ['/usr/bin/setpriv', `--reuid=${ids.uid}`, `--regid=${ids.gid}`, '--clear-groups', process.execPath, '--import', 'tsx', 'src/main.ts']);
}

/**
 * The worker as its own process (`src/main.ts`), for tests that kill it: SIGKILL in a test
 * process would kill the test too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Config } from '../../src/config.js';
import { waitFor } from './wait.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

export interface WorkerProcess {
  child: ChildProcess;
  httpPort: number;
  logs: string[];
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export function workerEnv(config: Config, extra: Record<string, string> = {}): Record<string, string> {
  return {
    AMQP_URL: config.amqpUrl,
    ...(config.smtpUrl ? { SMTP_URL: config.smtpUrl } : {}),
    MAIL_DIR: config.mailDir,
    DATABASE_PATH: config.databasePath,
    HTTP_PORT: '0',
    LOG_LEVEL: 'info',
    RETRY_DELAYS: config.retryDelaysMs.map((ms) => `${ms}ms`).join(','),
    ...extra,
  };
}

/** Worker processes still running; a test that ends (or times out) with one alive must not leak it. */
const running = new Set<ChildProcess>();
process.on('exit', () => running.forEach((child) => child.kill('SIGKILL')));

/** Kills what a test left running and says how many there were. */
export function killLeftoverWorkers(): number {
  const leftovers = [...running];
  for (const child of leftovers) child.kill('SIGKILL');
  running.clear();
  return leftovers.length;
}

/** From the TypeScript sources by default; the benchmark runs the build, as `npm start` does. */
export const FROM_SOURCE = ['--import', 'tsx', 'src/main.ts'];
export const FROM_BUILD = ['dist/main.js'];

/** A worker process as launched: not waited for, so a test can watch it fail to start. */
export interface LaunchedWorker {
  child: ChildProcess;
  /** stdout lines and stderr chunks, in arrival order. */
  logs: string[];
  /** The HTTP port from the first log line that names one (0 until then). */
  httpPort(): number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `command` (by default the worker from source) without waiting for anything. */
export function launchWorker(env: Record<string, string>, command: string[] = [process.execPath, ...FROM_SOURCE]): LaunchedWorker {
  const child = spawn(command[0]!, command.slice(1), {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  let httpPort = 0;
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      logs.push(line);
      if (!line.startsWith('{')) continue;
      const fields = JSON.parse(line) as { httpPort?: number };
      if (fields.httpPort) httpPort = fields.httpPort;
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => logs.push(chunk.toString('utf8')));
  running.add(child);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, logs, httpPort: () => httpPort, exited };
}

export async function spawnWorker(env: Record<string, string>, entry: string[] = FROM_SOURCE): Promise<WorkerProcess> {
  const launched = launchWorker(env, [process.execPath, ...entry]);
  const { child, logs } = launched;
  const started = () => logs.some((line) => line.includes('"collab-worker started"'));
  await waitFor(() => started() || child.exitCode !== null, 'the worker process to start', 30_000);
  const httpPort = launched.httpPort();
  if (!started()) throw new Error(`worker process exited at start:\n${logs.join('\n')}`);
  await waitFor(async () => (await fetch(`http://127.0.0.1:${httpPort}/readyz`)).status === 200, 'the worker process to be ready', 30_000);
  return {
    child,
    httpPort,
    logs,
    async kill(signal = 'SIGKILL') {
      child.kill(signal);
      return (await launched.exited).code;
    },
  };
}

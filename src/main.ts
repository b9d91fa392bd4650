/**
 * `npm start`: runs the worker until SIGTERM or SIGINT.
 *
 * A bad setting stops the start with one line naming the variable (on stderr, and as a fatal
 * log line once the logger exists) and exit code 1. A signal stops the worker cleanly at any
 * time, also while it still waits for the broker; repeated signals change nothing (a Ctrl-C
 * in a terminal reaches the worker twice under npm: from the terminal and forwarded by npm),
 * and a stop that overruns SHUTDOWN_TIMEOUT by more than STOP_GRACE_MS exits with code 1.
 */
import './heap-growth.js';
import { loadConfig, SettingError, type Config } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { Worker } from './worker.js';
import { loadSupportConfig, type SupportConfig } from './http/support/config.js';

/** Beyond SHUTDOWN_TIMEOUT: closing the broker connection, the mail pool, HTTP and the database. */
const STOP_GRACE_MS = 5_000;

function refuse(err: SettingError, log?: Logger): never {
  log?.fatal({ variable: err.variable }, err.message);
  log?.flush();
  process.stderr.write(`collab-worker: ${err.message}\n`);
  process.exit(1);
}

let config: Config;
let support: SupportConfig | undefined;
try {
  config = loadConfig();
  support = loadSupportConfig();
} catch (err) {
  if (err instanceof SettingError) refuse(err);
  throw err;
}
const log = createLogger(config.logLevel);

const starting = new AbortController();
let worker: Worker | undefined;
let stopping = false;

function onSignal(signal: NodeJS.Signals): void {
  if (stopping) {
    log.info({ signal }, 'already stopping');
    return;
  }
  stopping = true;
  log.info({ signal }, 'stopping');
  setTimeout(() => {
    log.error({ timeoutMs: config.shutdownTimeoutMs + STOP_GRACE_MS }, 'the worker did not stop in time; exiting anyway (unfinished work is redone after restart)');
    process.exit(1);
  }, config.shutdownTimeoutMs + STOP_GRACE_MS).unref();
  if (worker) void stopWorker(worker);
  else starting.abort(new Error(`${signal} during the start`));
}

async function stopWorker(w: Worker): Promise<void> {
  try {
    await w.stop();
    process.exit(0);
  } catch (err) {
    log.error({ err }, 'error while stopping');
    process.exit(1);
  }
}

process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);

try {
  worker = await Worker.start({ config, log, signal: starting.signal, support });
} catch (err) {
  if (starting.signal.aborted) {
    log.info('stopped before the start finished');
    process.exit(0);
  }
  if (err instanceof SettingError) refuse(err, log);
  log.fatal({ err }, 'collab-worker could not start');
  process.exit(1);
}

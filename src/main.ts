/** `npm start`: runs the worker until SIGTERM or SIGINT. */
import { loadConfig, type Config } from './config.js';
import { createLogger } from './logger.js';
import { Worker } from './worker.js';

let config: Config;
try {
  config = loadConfig();
} catch (err) {
  // A bad setting: its message names the variable; a stack trace would only hide it.
  process.stderr.write(`collab-worker could not start: ${(err as Error).message}\n`);
  process.exit(1);
}
const log = createLogger(config.logLevel);

try {
  const worker = await Worker.start({ config, log });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    worker.stop().then(
      () => process.exit(0),
      (err: Error) => {
        log.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (err) {
  log.fatal({ err }, `collab-worker could not start: ${(err as Error).message}`);
  process.exit(1);
}

/** `npm start`: runs the worker until SIGTERM or SIGINT. */
import { loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { Worker } from './worker.js';
import { loadSupportConfig } from './http/support/config.js';

const config = loadConfig();
const log = createLogger(config.logLevel);

try {
  const worker = await Worker.start({ config, log, support: loadSupportConfig() });
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
  log.fatal({ err }, 'collab-worker could not start');
  process.exit(1);
}

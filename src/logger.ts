import pino, { type Logger } from 'pino';
import { maskSecrets } from './text/mask.js';

export { maskSecrets };

export type { Logger };

/**
 * JSON lines on stdout; `LOG_LEVEL` decides how much. Email addresses and activation tokens
 * never appear in full: every field and message is masked on the way out, wherever the value
 * came from (an SMTP error quoting a recipient, a URL in an exception).
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'collab-worker' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { log: (object) => maskDeep(object) as Record<string, unknown> },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? maskSecrets(a) : a)) as Parameters<typeof method>);
      },
    },
  };
  return pino(options, destination ?? asyncStdout());
}

/**
 * Lines written together leave in one write instead of one syscall each (a batch of 500 events
 * logs 500 lines). pino flushes the buffer when the process exits; a SIGKILL loses what is still
 * in it, never a message. If whatever reads stdout stalls, lines beyond 16 MiB are dropped rather
 * than held in memory (the synchronous alternative would stop the worker).
 */
function asyncStdout(): pino.DestinationStream {
  return pino.destination({ dest: 1, sync: false, maxLength: 16 * 1024 * 1024 });
}

function maskDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskSecrets(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  // pino formats the log object before its serializers see errors: serialize them here.
  if (value instanceof Error) return maskDeep(pino.stdSerializers.err(value), depth + 1);
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskDeep(v, depth + 1)]));
}

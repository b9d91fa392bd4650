/** A worker's log lines in memory, parsed, through the real logger (masking included). */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../src/logger.js';

export interface LogLines {
  log: Logger;
  /** Every line written so far, as JSON. */
  lines: Record<string, any>[];
  /** Every line as written, for checks on the raw text. */
  text(): string;
}

export function logLines(level = 'info'): LogLines {
  const raw: string[] = [];
  const memory = new Writable({ write: (chunk: Buffer, _encoding, done) => (raw.push(chunk.toString('utf8')), done()) });
  const log = createLogger(level, memory);
  return {
    log,
    get lines() {
      return raw.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
    },
    text: () => raw.join(''),
  };
}

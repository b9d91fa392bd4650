import pino, { type Logger } from 'pino';

export type { Logger };

/** JSON lines on stdout; `LOG_LEVEL` decides how much. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'collab-worker' }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** `karin.berg@kaffekoppen.example` → `k***@kaffekoppen.example`: enough to tell people apart in a log, not enough to mail them. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

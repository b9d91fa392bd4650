import type { TransactionSql } from '../store/database.js';
import type { ReminderPolicy } from '../domain/invitation-schedule.js';
import type { Logger } from '../logger.js';

/** Everything a handler may touch: the open transaction, the clock's reading, and settings. */
export interface HandlerContext {
  sql: TransactionSql;
  now: Date;
  policy: ReminderPolicy;
  activationSecret: string;
  activationTokenTtlMs: number;
  log: Logger;
}

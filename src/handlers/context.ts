import type { ReminderPolicy } from '../domain/invitation-schedule.js';
import type { Collaboration } from '../store/collaboration.js';
import type { NewCustomerAdmin } from '../store/customer-admin.js';
import type { Logger } from '../logger.js';
import type { Effects } from './effects.js';

/**
 * The state a handler sees and changes. Reads see what earlier events of the same batch did;
 * changes are kept aside and written only if the handler's outcome is done (see intake/batch.ts).
 */
export interface HandlerState {
  collaboration(id: string): Collaboration | undefined;
  saveCollaboration(collaboration: Collaboration): void;
  addCustomerAdmin(admin: NewCustomerAdmin): void;
  /** Effects of the event being handled: they leave through the outbox. */
  effects: Effects;
}

/** Everything a handler may touch: no I/O, only the state, the clock's reading and settings. */
export interface HandlerContext {
  state: HandlerState;
  now: Date;
  policy: ReminderPolicy;
  activationSecret: string;
  activationTokenTtlMs: number;
  log: Logger;
}

/** What a handler's context is made from, besides the state of its batch. */
export type HandlerSettings = Pick<HandlerContext, 'policy' | 'activationSecret' | 'activationTokenTtlMs'>;

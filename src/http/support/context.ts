/** What the support server's routes (API and console) are given: the application services' inputs. */
import type { Store } from '../../store/store.js';
import type { RequeueOperations } from '../../support/requeue-operations.js';
import type { Readiness } from '../../support/overview.js';
import type { Logger } from '../../logger.js';
import type { SupportConfig } from './config.js';

export interface SupportContext {
  config: SupportConfig;
  store: Store;
  operations: RequeueOperations;
  /** What /readyz says now. */
  readiness: () => Readiness;
  log: Logger;
  clock: () => number;
  /** A redemption queued customer-admin.activated: deliver the outbox now. */
  onActivated: () => void;
}

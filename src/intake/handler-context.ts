/**
 * What a handler gets for one event: the batch's settings, the event's state and clock reading,
 * and a logger whose lines carry the event's trace id. Handlers rarely log, so that logger is
 * made only when one does (a class getter: building the context stays as cheap as a plain object).
 */
import type { HandlerContext, HandlerSettings, HandlerState } from '../handlers/context.js';
import type { Logger } from '../logger.js';

export class TracedHandlerContext implements HandlerContext {
  readonly policy: HandlerContext['policy'];
  readonly activationSecret: string;
  readonly activationTokenTtlMs: number;

  constructor(
    settings: HandlerSettings,
    readonly state: HandlerState,
    readonly now: Date,
    private readonly baseLog: Logger,
    private readonly traceId: string,
  ) {
    this.policy = settings.policy;
    this.activationSecret = settings.activationSecret;
    this.activationTokenTtlMs = settings.activationTokenTtlMs;
  }

  get log(): Logger {
    return this.baseLog.child({ traceId: this.traceId });
  }
}

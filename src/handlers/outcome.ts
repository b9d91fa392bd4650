/**
 * What a handler decided. The runner alone turns it into broker actions: `done` and `skip`
 * commit and ack; `retry` rolls back and redelivers after a delay; `fail` rolls back and keeps
 * the message as failed. Handlers never ack and never throw for control flow.
 */
export type Outcome =
  | { kind: 'done' }
  | { kind: 'skip'; reason: string }
  | { kind: 'retry'; reason: string }
  | { kind: 'fail'; reason: string };

export const done: Outcome = { kind: 'done' };
export const skip = (reason: string): Outcome => ({ kind: 'skip', reason });
export const retry = (reason: string): Outcome => ({ kind: 'retry', reason });
export const fail = (reason: string): Outcome => ({ kind: 'fail', reason });

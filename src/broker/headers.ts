/**
 * Headers RabbitMQ writes itself when it dead-letters, redelivers or moves a message. They
 * describe a message's past on this broker, so they are kept on the failed-message record for
 * support to read, but never copied onto a message the worker publishes: RabbitMQ 3.10 takes a
 * republished message whose `x-death` names the queue it goes back to for a dead-letter cycle
 * and, with the at-least-once strategy, leaves it in the retry queue for good; federation reads
 * `x-received-from` to drop loops.
 */

const BROKER_HEADER = /^x-(death$|first-death-|last-death-|delivery-count$|received-from$|shovelled)/i;

/** True for a header the broker sets (`x-death`, `x-first-death-*`, `x-last-death-*`, `x-delivery-count`, …). */
export function isBrokerHeader(name: string): boolean {
  return BROKER_HEADER.test(name);
}

/** A copy of `headers` without the broker's bookkeeping: what may ride along on a republished message. */
export function withoutBrokerHeaders(headers: Record<string, unknown> | undefined): Record<string, unknown> {
  const kept: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers ?? {})) if (!isBrokerHeader(name)) kept[name] = value;
  return kept;
}

/**
 * MAX_MESSAGE_SIZE: a body above it is refused without being parsed (parsing would hold several
 * copies of it at once), and kept whole as a failed message, so that support can requeue it once
 * the limit is raised or ask its publisher for a smaller one.
 */
import type { ConsumeMessage } from 'amqplib';
import type { ParseResult } from '../messages/schemas.js';
import { INCOMING_TYPES } from '../broker/topology.js';

/** `1536` → `1.5 KiB`: sizes as people read them. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1).replace(/\.0$/, '')} ${units[unit]}`;
}

/** The refusal of a body of `msg.content.length` bytes, above `maxBytes`. */
export function refuseTooLarge(msg: ConsumeMessage, maxBytes: number): ParseResult {
  const size = msg.content.length;
  const routingKey = msg.fields.routingKey;
  const type = (INCOMING_TYPES as readonly string[]).includes(routingKey) ? routingKey : undefined;
  const id = typeof msg.properties.messageId === 'string' ? msg.properties.messageId : undefined;
  return {
    ok: false,
    reason:
      `the message is ${formatBytes(size)} (${size} bytes), above MAX_MESSAGE_SIZE (${formatBytes(maxBytes)}), so it was not read: ` +
      'ask its publisher for a smaller one (no large extension attributes), or raise MAX_MESSAGE_SIZE and requeue it',
    hint: { ...(id ? { id } : {}), ...(type ? { type } : {}) },
  };
}

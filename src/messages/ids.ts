/**
 * Deterministic ids. What the worker publishes or mails is named after what caused it, so a
 * retry or a restart produces the same id, and consumers downstream can de-duplicate.
 *
 * The ids are name-based UUIDs (version 5, RFC 9562), computed with node:crypto directly: an
 * event makes several, and the generic library spends most of its time converting the name and
 * namespace to bytes on every call. test/unit/ids.unit.spec.ts checks them against `uuid`'s v5.
 */
import { createHash } from 'node:crypto';

// A fixed namespace of our own (random once, never to change: changing it changes every id).
const NAMESPACE = '6b1f4a52-3c55-4d1e-9a6e-2f0c8d7b1e42';
const NAMESPACE_BYTES = Buffer.from(NAMESPACE.replaceAll('-', ''), 'hex');
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function deterministicId(...parts: string[]): string {
  const name = parts.join('\u001f');
  // A lone surrogate has no UTF-8 form: Buffer would write U+FFFD for it, so two different
  // malformed names would get one id (and one would be taken for the other's duplicate).
  if (LONE_SURROGATE.test(name)) throw new Error(`cannot derive an id from malformed text: ${JSON.stringify(name)}`);
  const hash = createHash('sha1').update(NAMESPACE_BYTES).update(name, 'utf8').digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50; // version 5
  hash[8] = (hash[8]! & 0x3f) | 0x80; // RFC variant
  const hex = hash.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Deterministic ids. What the worker publishes or mails is named after what caused it, so a
 * retry or a restart produces the same id, and consumers downstream can de-duplicate.
 */
import { v5 as uuidv5 } from 'uuid';

// A fixed namespace of our own (random once, never to change: changing it changes every id).
const NAMESPACE = '6b1f4a52-3c55-4d1e-9a6e-2f0c8d7b1e42';

export function deterministicId(...parts: string[]): string {
  return uuidv5(parts.join('\u001f'), NAMESPACE);
}

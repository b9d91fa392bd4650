import { describe, expect, it } from 'vitest';
import { v5 as uuidv5 } from 'uuid';
import { deterministicId } from '../../src/messages/ids.js';

describe('deterministicId', () => {
  const NAMESPACE = '6b1f4a52-3c55-4d1e-9a6e-2f0c8d7b1e42';

  it.each([
    [['col-1001', 'invitation']],
    [['ev-ÅÄÖ-1', 'collaboration.invitation-sent', 'kund@exempel.se']],
    [['']],
    [['a'.repeat(500), '😀']],
  ])('is the RFC 9562 version-5 UUID of the parts joined by U+001F: %j', (parts) => {
    expect(deterministicId(...parts)).toBe(uuidv5(parts.join('\u001f'), NAMESPACE));
  });

  it('differs when the parts do, even when their concatenation does not', () => {
    expect(deterministicId('ab', 'c')).not.toBe(deterministicId('a', 'bc'));
  });

  it('refuses text with a lone surrogate, which has no UTF-8 form (two such names would share an id)', () => {
    expect(() => deterministicId('ev-\uD800')).toThrow(/malformed text/);
    expect(() => deterministicId('ev-\uDC00x')).toThrow(/malformed text/);
    expect(deterministicId('ev-😀')).toBe(uuidv5('ev-😀', NAMESPACE));
  });
});

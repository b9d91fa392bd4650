import { describe, expect, it } from 'vitest';
import { loadConfig, parseSize } from '../../src/config.js';
import { formatBytes } from '../../src/intake/size-limit.js';

describe('sizes', () => {
  it('MAX_MESSAGE_SIZE and MAX_BYTES_IN_FLIGHT both default to 4 MiB', () => {
    const c = loadConfig({});
    expect(c.maxMessageBytes).toBe(4 * 1024 * 1024);
    expect(c.maxBytesInFlight).toBe(4 * 1024 * 1024);
  });

  it('reads sizes with their unit, binary and decimal', () => {
    expect(parseSize('512KiB', 'X')).toBe(512 * 1024);
    expect(parseSize('1.5 MiB', 'X')).toBe(1.5 * 1024 * 1024);
    expect(parseSize('2MB', 'X')).toBe(2_000_000);
    expect(parseSize('100B', 'X')).toBe(100);
  });

  it('refuses a size without its unit, naming the variable', () => {
    expect(() => loadConfig({ MAX_MESSAGE_SIZE: '4096' })).toThrow('MAX_MESSAGE_SIZE="4096" is not valid: expected a size with its unit, such as 512KiB, 4MiB or 1GB');
    expect(() => loadConfig({ MAX_BYTES_IN_FLIGHT: '0MiB' })).toThrow(/MAX_BYTES_IN_FLIGHT="0MiB" is not valid/);
  });

  it('prints sizes as people read them', () => {
    expect(formatBytes(900)).toBe('900 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3 MiB');
  });
});

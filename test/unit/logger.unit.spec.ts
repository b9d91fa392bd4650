import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, maskSecrets } from '../../src/logger.js';

describe('log masking', () => {
  it('masks email addresses and activation tokens in text', () => {
    expect(maskSecrets('550 <karin.berg@kaffekoppen.example> no such user')).toBe('550 <k***@kaffekoppen.example> no such user');
    expect(maskSecrets('https://spiris.se/activate?token=abc-DEF_123&x=1')).toBe('https://spiris.se/activate?token=***&x=1');
  });

  it('leaves what is masked already as it is', () => {
    expect(maskSecrets(maskSecrets('karin.berg@kaffekoppen.example'))).toBe('k***@kaffekoppen.example');
    expect(maskSecrets('AMQP_URL="amqp://guest:***@rabbit:5672/prod" cannot be used')).toBe('AMQP_URL="amqp://guest:***@rabbit:5672/prod" cannot be used');
  });

  it('masks international addresses whole: an IDN domain, a non-ASCII local part, a domain that is not one', () => {
    expect(maskSecrets('got "karin@kaffekoppen-umeå.example"')).toBe('got "k***@kaffekoppen-umeå.example"');
    expect(maskSecrets('öjvind.ågren@kaffekoppen-umeå.example')).toBe('ö***@kaffekoppen-umeå.example');
    expect(maskSecrets('RCPT 用户@例子.广告 refused')).toBe('RCPT 用***@例子.广告 refused');
    expect(maskSecrets('karin@kaffe\u202Ekoppen')).toBe('k***@kaffe\u202Ekoppen');
  });

  it('masks them in every field, message and error of a log line', () => {
    const lines: string[] = [];
    const memory = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) });
    const log = createLogger('info', memory);
    log.warn(
      { to: 'sam@fjallbyggarna.example', nested: { url: 'https://x.se/activate?token=SECRET' }, err: new Error('rcpt orjan@akeri.example refused') },
      'mail to erik@siffror.example failed',
    );
    const line = lines.join('');
    expect(line).not.toMatch(/sam@|erik@|orjan@|SECRET/);
    expect(line).toContain('s***@fjallbyggarna.example');
    expect(line).toContain('e***@siffror.example');
    expect(line).toContain('o***@akeri.example');
    expect(JSON.parse(line)).toMatchObject({ level: 40, service: 'collab-worker' });
  });

  it('honours the level', () => {
    const lines: string[] = [];
    const memory = new Writable({ write: (chunk: Buffer, _encoding, done) => (lines.push(chunk.toString()), done()) });
    const log = createLogger('warn', memory);
    log.info('hidden');
    log.warn('shown');
    expect(lines).toHaveLength(1);
  });
});

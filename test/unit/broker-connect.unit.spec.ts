import { describe, expect, it } from 'vitest';
import { amqpTarget, classifyConnectFailure } from '../../src/broker/connect-failure.js';
import { RetryReporter } from '../../src/broker/retry-reporter.js';
import { createLogger } from '../../src/logger.js';

const target = amqpTarget('amqp://collab:s3cret@rabbit.internal:5673/prod%2Feu');

describe('the broker target', () => {
  it('is shown with its password masked, its vhost as RabbitMQ sees it', () => {
    expect(target).toEqual({ url: 'amqp://collab:***@rabbit.internal:5673/prod%2Feu', host: 'rabbit.internal', port: 5673, vhost: 'prod/eu', user: 'collab' });
    expect(amqpTarget('amqps://rabbit')).toMatchObject({ port: 5671, vhost: '/', user: 'guest' });
  });
});

describe('a failed connection', () => {
  const classify = (err: Error) => classifyConnectFailure(err, target);

  it('is final when the broker refuses the login or the virtual host, or the URL cannot work', () => {
    expect(classify(new Error('Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN."'))).toEqual({
      healable: false,
      problem: 'the broker refused the login of user "collab" (403 ACCESS_REFUSED: wrong user name or password)',
    });
    expect(classify(new Error('Expected ConnectionOpenOk; got <ConnectionClose channel:0>'))).toEqual({
      healable: false,
      problem: 'the broker refused the virtual host "prod/eu" (530 NOT_ALLOWED: it does not exist, or user "collab" has no permission on it)',
    });
    expect(classify(new Error('Expected amqp: or amqps: as the protocol; got http:')).healable).toBe(false);
  });

  it('is retried when the broker may come back: refused, timed out, name not found, anything else', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:5673'), { code: 'ECONNREFUSED' });
    expect(classify(refused)).toEqual({ healable: true, problem: 'connection refused: nothing listens on rabbit.internal:5673' });
    expect(classify(new Error('connect ETIMEDOUT'))).toEqual({ healable: true, problem: 'no answer from rabbit.internal:5673 (timed out)' });
    expect(classify(Object.assign(new Error('getaddrinfo ENOTFOUND rabbit.internal'), { code: 'ENOTFOUND' }))).toEqual({ healable: true, problem: 'the host name rabbit.internal is not found (ENOTFOUND)' });
    expect(classify(new Error('Socket closed abruptly during opening handshake')).healable).toBe(true);
  });
});

describe('failed attempts in the log', () => {
  it('warn at the first, at a new reason and once a minute; debug in between; info when connected', () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger('debug', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    let now = 0;
    const reporter = new RetryReporter(log, target, () => now);
    const at = (ms: number, problem: string) => {
      now = ms;
      reporter.failed(problem);
    };
    at(0, 'connection refused');
    for (let t = 5_000; t < 60_000; t += 5_000) at(t, 'connection refused'); // 11 more, within the minute
    at(60_000, 'connection refused');
    at(62_000, 'no answer (timed out)');
    now = 70_000;
    reporter.connected();

    const warn = lines.filter((l) => l.level === 40);
    expect(warn.map((l) => [l.problem, l.attempts, l.attemptsSinceLastLine, l.failingForS])).toEqual([
      ['connection refused', 1, 1, 0],
      ['connection refused', 13, 12, 60],
      ['no answer (timed out)', 14, 1, 62],
    ]);
    expect(warn[0]).toMatchObject({ broker: 'amqp://collab:***@rabbit.internal:5673/prod%2Feu', host: 'rabbit.internal', vhost: 'prod/eu' });
    expect(lines.filter((l) => l.level === 20)).toHaveLength(11);
    expect(lines.at(-1)).toMatchObject({ level: 30, msg: 'connected to the broker after failed attempts', failedAttempts: 14, afterS: 70 });
    expect(JSON.stringify(lines)).not.toContain('s3cret');
  });
});

import { describe, expect, it } from 'vitest';
import { loadConfig, parseDuration } from '../../src/config.js';

describe('configuration', () => {
  it('has the defaults of the contract', () => {
    const c = loadConfig({});
    expect(c.amqpUrl).toBe('amqp://guest:guest@127.0.0.1:5672');
    expect(c.smtpUrl).toBeUndefined();
    expect(c.mailDir).toMatch(/var\/mail$/);
    expect(c.databasePath).toMatch(/var\/collab-worker\.db$/);
    expect(c.httpPort).toBe(8080);
    expect(c.retryDelaysMs).toEqual([5_000, 30_000, 120_000, 600_000, 3_600_000]);
    expect(c.reminderDays).toEqual([3, 7]);
    expect(c.invitationExpiryDays).toBe(14);
    expect(c.reminderSchedule).toBe('*/15 * * * *');
    expect(c.retentionDays).toBe(30);
    expect(c.retentionSchedule).toBe('30 3 * * *');
    expect(c.shutdownTimeoutMs).toBe(10_000);
    expect(c.roles).toEqual(['consume', 'dispatch', 'schedule']);
  });

  it('reads durations with units', () => {
    expect(parseDuration('250ms', 'X')).toBe(250);
    expect(parseDuration('1.5s', 'X')).toBe(1500);
    expect(parseDuration('2m', 'X')).toBe(120_000);
    expect(parseDuration('14d', 'X')).toBe(14 * 86_400_000);
    expect(parseDuration('40ms', 'X')).toBe(40);
  });

  it('refuses a duration without its unit, or of zero, in every duration setting', () => {
    expect(() => parseDuration('40', 'X')).toThrow('X="40" is not valid: expected a duration above zero with its unit (ms, s, m, h or d), e.g. 500ms, 5s, 2m, 1h or 14d (a bare number has no unit)');
    expect(() => loadConfig({ RETRY_DELAYS: '5' })).toThrow('RETRY_DELAYS="5" is not valid: expected comma-separated durations above zero, with units, such as 5s,30s,2m ("5" is not one)');
    expect(() => loadConfig({ RETRY_DELAYS: '5s,0s' })).toThrow(/RETRY_DELAYS="5s,0s".*"0s" is not one/);
    expect(() => loadConfig({ SHUTDOWN_TIMEOUT: '10' })).toThrow(/^SHUTDOWN_TIMEOUT="10" is not valid: .*bare number has no unit/);
    expect(() => loadConfig({ ACTIVATION_TOKEN_TTL: '14' })).toThrow(/^ACTIVATION_TOKEN_TTL="14" is not valid/);
    expect(() => loadConfig({ ACTIVATION_TOKEN_TTL: '0d' })).toThrow(/^ACTIVATION_TOKEN_TTL="0d" is not valid/);
  });

  it('checks every setting that names a thing outside: log level, URLs, sender, port, queue prefix', () => {
    expect(() => loadConfig({ LOG_LEVEL: 'verbose' })).toThrow('LOG_LEVEL="verbose" is not valid: expected one of fatal, error, warn, info, debug, trace, silent');
    expect(() => loadConfig({ SMTP_URL: 'notaurl' })).toThrow('SMTP_URL="notaurl" is not valid: expected a URL such as smtp://user:password@host:port (scheme smtp or smtps)');
    expect(() => loadConfig({ SMTP_URL: 'http://mail:25' })).toThrow(/^SMTP_URL="http:\/\/mail:25\/?" is not valid/);
    expect(loadConfig({ SMTP_URL: 'smtps://user:pass@mail:465' }).smtpUrl).toBe('smtps://user:pass@mail:465');
    // the password never appears in the message
    expect(() => loadConfig({ AMQP_URL: 'http://guest:s3cret@rabbit:5672' })).toThrow('AMQP_URL="http://guest:***@rabbit:5672" is not valid: expected a URL such as amqp://user:password@host:port (scheme amqp or amqps)');
    expect(() => loadConfig({ AMQP_URL: 'rabbit:5672' })).toThrow(/^AMQP_URL="rabbit:5672" is not valid/);
    expect(() => loadConfig({ AMQP_URL: 'amqp://guest:s3cret@rabbit/a/b' })).toThrow(/AMQP_URL="amqp:\/\/guest:\*\*\*@rabbit\/a\/b".*%2F/);
    expect(loadConfig({ AMQP_URL: 'amqps://u:p@rabbit:5671/prod' }).amqpUrl).toBe('amqps://u:p@rabbit:5671/prod');
    expect(() => loadConfig({ MAIL_FROM: 'collab worker' })).toThrow(/^MAIL_FROM="collab worker" is not valid: expected one email address/);
    expect(() => loadConfig({ MAIL_FROM: 'a@example.se, b@example.se' })).toThrow(/^MAIL_FROM=/);
    expect(loadConfig({ MAIL_FROM: '"Collab worker" <no-reply@collab.example>' }).mailFrom).toBe('"Collab worker" <no-reply@collab.example>');
    expect(() => loadConfig({ HTTP_PORT: '70000' })).toThrow('HTTP_PORT="70000" is not valid: expected a port number from 0 to 65535 (0: any free port)');
    expect(() => loadConfig({ HTTP_PORT: '80.5' })).toThrow(/^HTTP_PORT="80.5"/);
    expect(loadConfig({ HTTP_PORT: '0' }).httpPort).toBe(0);
    expect(() => loadConfig({ QUEUE_PREFIX: 'my queues' })).toThrow(/^QUEUE_PREFIX="my queues" is not valid: expected up to 100 letters, digits and - _ . :/);
    expect(() => loadConfig({ QUEUE_PREFIX: 'amq.collab' })).toThrow(/^QUEUE_PREFIX="amq.collab"/);
    expect(loadConfig({ QUEUE_PREFIX: 'collab-worker.eu:1' }).queuePrefix).toBe('collab-worker.eu:1');
    expect(() => loadConfig({ WORKER_ROLES: ' , ' })).toThrow(/^WORKER_ROLES=/);
  });

  it('refuses reminders that could never be sent because the invitation expires first', () => {
    expect(() => loadConfig({ REMINDER_DAYS: '3,7,14' })).toThrow('REMINDER_DAYS="3,7,14" is not valid: expected days before INVITATION_EXPIRY_DAYS=14: a reminder on day 14 would never be sent');
    expect(() => loadConfig({ INVITATION_EXPIRY_DAYS: '5' })).toThrow(/^REMINDER_DAYS="3,7" is not valid: expected days before INVITATION_EXPIRY_DAYS=5/);
    expect(loadConfig({ REMINDER_DAYS: '1', INVITATION_EXPIRY_DAYS: '5' })).toMatchObject({ reminderDays: [1], invitationExpiryDays: 5 });
  });

  it('names the variable and the expected form when a value is bad', () => {
    expect(() => loadConfig({ RETRY_DELAYS: '5s,soon' })).toThrow('RETRY_DELAYS="5s,soon" is not valid: expected comma-separated durations above zero, with units, such as 5s,30s,2m ("soon" is not one)');
    expect(() => loadConfig({ HTTP_PORT: 'eighty' })).toThrow(/HTTP_PORT="eighty".*port number from 0 to 65535/);
    expect(() => loadConfig({ REMINDER_DAYS: '3,-1' })).toThrow(/REMINDER_DAYS/);
    expect(() => loadConfig({ WORKER_ROLES: 'consume,mail' })).toThrow(/WORKER_ROLES.*consume, dispatch, schedule/);
    expect(() => loadConfig({ RETENTION_DAYS: '-1' })).toThrow('RETENTION_DAYS="-1" is not valid: expected a whole number of days ≥ 0 (0 turns pruning off)');
    expect(() => loadConfig({ RETENTION_DAYS: '7.5' })).toThrow(/RETENTION_DAYS="7.5"/);
    expect(() => loadConfig({ RETENTION_DAYS: '30d' })).toThrow(/RETENTION_DAYS="30d"/);
  });

  it('reads the retention settings; 0 days turns pruning off', () => {
    expect(loadConfig({ RETENTION_DAYS: '90', RETENTION_SCHEDULE: '0 2 * * 0' })).toMatchObject({ retentionDays: 90, retentionSchedule: '0 2 * * 0' });
    expect(() => loadConfig({ RETENTION_SCHEDULE: 'daily' })).toThrow(/RETENTION_SCHEDULE="daily" is not valid: expected a cron expression/);
    expect(() => loadConfig({ REMINDER_SCHEDULE: '*/15 * *' })).toThrow(/REMINDER_SCHEDULE="\*\/15 \* \*" is not valid: expected a cron expression/);
    expect(loadConfig({ RETENTION_DAYS: '0' }).retentionDays).toBe(0);
  });
});

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
    expect(parseDuration('40', 'X')).toBe(40);
  });

  it('names the variable and the expected form when a value is bad', () => {
    expect(() => loadConfig({ RETRY_DELAYS: '5s,soon' })).toThrow('RETRY_DELAYS="5s,soon" is not valid: expected comma-separated durations such as 5s,30s,2m ("soon" is not one)');
    expect(() => loadConfig({ HTTP_PORT: 'eighty' })).toThrow(/HTTP_PORT="eighty".*whole number/);
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

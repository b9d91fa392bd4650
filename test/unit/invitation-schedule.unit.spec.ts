import { describe, expect, it } from 'vitest';
import { expiryFor, nextDueAt, reminderTime } from '../../src/domain/invitation-schedule.js';

const DAY = 86_400_000;
const policy = { reminderDays: [3, 7], invitationExpiryDays: 14 };
const invitedAt = Date.UTC(2026, 10, 22, 9);
const expiresAt = expiryFor(invitedAt, policy);

describe('invitation schedule', () => {
  it('expires after the configured days', () => {
    expect(expiresAt - invitedAt).toBe(14 * DAY);
  });

  it('is due at each reminder day, then at expiry', () => {
    expect(nextDueAt({ invitedAt, expiresAt, remindersSent: 0 }, policy)).toBe(invitedAt + 3 * DAY);
    expect(nextDueAt({ invitedAt, expiresAt, remindersSent: 1 }, policy)).toBe(invitedAt + 7 * DAY);
    expect(nextDueAt({ invitedAt, expiresAt, remindersSent: 2 }, policy)).toBe(expiresAt);
  });

  it('drops reminders that would fall on or after expiry', () => {
    const short = { reminderDays: [3, 7], invitationExpiryDays: 5 };
    const exp = expiryFor(invitedAt, short);
    expect(reminderTime({ invitedAt, expiresAt: exp, remindersSent: 0 }, short, 1)).toBe(invitedAt + 3 * DAY);
    expect(reminderTime({ invitedAt, expiresAt: exp, remindersSent: 1 }, short, 2)).toBeUndefined();
    expect(nextDueAt({ invitedAt, expiresAt: exp, remindersSent: 1 }, short)).toBe(exp);
  });
});

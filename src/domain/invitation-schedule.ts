/**
 * When a pending invitation needs attention next: its next reminder, or its expiry.
 * Pure arithmetic on the invitation's times and the configured days.
 */
const DAY_MS = 86_400_000;

export interface InvitationTimes {
  invitedAt: number;
  expiresAt: number;
  remindersSent: number;
}

export interface ReminderPolicy {
  reminderDays: number[];
  invitationExpiryDays: number;
}

export function expiryFor(invitedAt: number, policy: ReminderPolicy): number {
  return invitedAt + policy.invitationExpiryDays * DAY_MS;
}

/** The time of reminder number `n` (1-based), or undefined when there is none before expiry. */
export function reminderTime(invitation: InvitationTimes, policy: ReminderPolicy, n: number): number | undefined {
  const days = policy.reminderDays[n - 1];
  if (days === undefined) return undefined;
  const at = invitation.invitedAt + days * DAY_MS;
  return at < invitation.expiresAt ? at : undefined;
}

export function nextDueAt(invitation: InvitationTimes, policy: ReminderPolicy): number {
  return reminderTime(invitation, policy, invitation.remindersSent + 1) ?? invitation.expiresAt;
}

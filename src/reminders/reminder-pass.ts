/**
 * One pass of the reminder job: every pending invitation that is due gets its reminder, or
 * expires. Each is claimed with a conditional update in the same transaction that writes its
 * outbox rows, and the rows' ids derive from (collaboration, reminder number): a second pass,
 * a late or doubled cron tick, or a second worker on the same database sends nothing twice.
 */
import type { Database, Sql } from '../store/database.js';
import { claimReminder, findDue, listDue, transition, type Collaboration } from '../store/collaborations.js';
import { expireToken, findAdminByCollaboration } from '../store/customer-admins.js';
import { reminderTime, nextDueAt, type ReminderPolicy } from '../domain/invitation-schedule.js';
import { agencyEmail, customerEmail } from '../domain/email-models.js';
import { Effects } from '../handlers/effects.js';
import { addToOutbox } from '../store/outbox.js';
import type { Logger } from '../logger.js';
import { notRecording, type Tracing } from '../tracing/tracing.js';
import type { TraceExtension } from '../tracing/trace-context.js';

export const REMINDER_SOURCE = '/collab-worker/reminders';

export interface PassResult {
  reminders: { collaborationId: string; number: number }[];
  expired: string[];
}

/**
 * The pass is one trace (a span when spans are recorded): every reminder and expiry it queues
 * carries it, so an email or event of the job can be followed back to the pass that sent it.
 */
export async function runReminderPass(
  db: Database,
  policy: ReminderPolicy,
  now: Date,
  log: Logger,
  batch = 500,
  tracing: Tracing = notRecording,
): Promise<PassResult> {
  const result: PassResult = { reminders: [], expired: [] };
  const span = tracing.reminderPass();
  try {
    for (;;) {
      // Small transactions: a pass over many due rows never holds the write lock for long.
      const handled = await db.transaction(async (sql) => {
        const due = await findDue(sql, now.getTime(), batch);
        for (const c of due) await handleDue(sql, c, policy, now, result, span.extension);
        return due.length;
      });
      if (handled < batch) break;
    }
  } catch (err) {
    span.end({ error: (err as Error).message, attributes: { 'collab.reminders': result.reminders.length, 'collab.expired': result.expired.length } });
    throw err;
  }
  span.end({ attributes: { 'collab.reminders': result.reminders.length, 'collab.expired': result.expired.length } });
  if (result.reminders.length || result.expired.length) {
    log.info({ reminders: result.reminders.length, expired: result.expired.length, at: now.toISOString(), traceId: span.traceId }, 'reminder pass');
  }
  return result;
}

/** What a pass does to one due invitation, and to whom the email goes. */
export type DueAction =
  | { kind: 'expire'; collaborationId: string; to: string }
  | { kind: 'reminder'; collaborationId: string; number: number; nextDueAt: number; to: string };

/**
 * The decision for one due invitation at `now`: pure, so that a dry run shows what a pass would
 * do. Expired at `expiresAt`; otherwise the latest reminder that is due (a pass that runs late
 * sends only that one, not every one it missed).
 */
export function decideDue(c: Collaboration, policy: ReminderPolicy, now: Date): DueAction {
  const t = now.getTime();
  if (t >= c.expiresAt) return { kind: 'expire', collaborationId: c.id, to: c.activation.activatedBy.email };
  let number = c.remindersSent + 1;
  while ((reminderTime(c, policy, number + 1) ?? Infinity) <= t) number++;
  const next = nextDueAt({ ...c, remindersSent: number }, policy);
  return { kind: 'reminder', collaborationId: c.id, number, nextDueAt: next, to: c.activation.customer.contact.email };
}

/** What a pass at `now` would do, reading only (every due invitation, a page at a time). */
export async function planReminderPass(sql: Sql, policy: ReminderPolicy, now: Date, page = 500): Promise<DueAction[]> {
  const actions: DueAction[] = [];
  let after: Collaboration | undefined;
  for (;;) {
    const due = await listDue(sql, now.getTime(), after && { nextDueAt: after.nextDueAt!, id: after.id }, page);
    actions.push(...due.map((c) => decideDue(c, policy, now)));
    if (due.length < page) return actions;
    after = due.at(-1);
  }
}

async function handleDue(sql: Sql, c: Collaboration, policy: ReminderPolicy, now: Date, result: PassResult, trace: TraceExtension): Promise<void> {
  const t = now.getTime();
  const a = c.activation;
  const action = decideDue(c, policy, now);
  if (action.kind === 'expire') {
    if (!(await transition(sql, c.id, ['pending'], 'expired', t))) return;
    await expireToken(sql, c.id, t);
    const effects = new Effects(now, { source: REMINDER_SOURCE, id: `${c.id}:expired` }, trace);
    effects.email(agencyEmail('invitation-expired', a, { invitationExpiresAt: new Date(c.expiresAt).toISOString() }));
    effects.event('collaboration.invitation-expired', { collaborationId: c.id, expiredAt: new Date(c.expiresAt).toISOString() });
    await addToOutbox(sql, effects.entries, t);
    result.expired.push(c.id);
    return;
  }

  const { number } = action;
  if (!(await claimReminder(sql, c.id, c.remindersSent, number, action.nextDueAt, t))) return;

  const effects = new Effects(now, { source: REMINDER_SOURCE, id: `${c.id}:reminder:${number}` }, trace);
  const admin = c.invitationKind === 'admin-welcome' ? await findAdminByCollaboration(sql, c.id) : undefined;
  const model = customerEmail('reminder', a, { reminderNumber: number, invitationExpiresAt: new Date(c.expiresAt).toISOString() });
  effects.email(model, admin && !admin.activatedAt ? { adminId: admin.id, nonce: admin.tokenNonce } : undefined);
  effects.event('collaboration.reminder-sent', { collaborationId: c.id, reminderNumber: number });
  await addToOutbox(sql, effects.entries, t);
  result.reminders.push({ collaborationId: c.id, number });
}

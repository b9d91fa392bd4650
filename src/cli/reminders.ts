/** `reminders run` and `invitations list`: the reminder job by hand, and what it looks at. */
import type { Command } from 'commander';
import pino from 'pino';
import { runReminderPass } from '../reminders/reminder-pass.js';
import { listInvitations } from '../store/collaborations.js';
import { createLogger } from '../logger.js';
import { cliConfig, print, withDatabase, withReadOnlyDatabase } from './context.js';

function parseInstant(text: string): Date {
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) throw new Error(`--at "${text}" is not an ISO-8601 time, e.g. 2026-11-25T09:00:00+01:00`);
  return at;
}

export function registerReminders(program: Command): void {
  program
    .command('reminders')
    .description('the reminder job')
    .command('run')
    .description('run one reminder pass now (queues reminder and expiry emails; a running worker sends them)')
    .option('--at <iso>', 'run as if the clock said this time (ISO-8601)')
    .option('--json', 'print the result as JSON')
    .action(async (o: { at?: string; json?: boolean }) => {
      const config = cliConfig();
      const at = o.at ? parseInstant(o.at) : new Date();
      const policy = { reminderDays: config.reminderDays, invitationExpiryDays: config.invitationExpiryDays };
      const result = await withDatabase(config, (db) => runReminderPass(db, policy, at, createLogger('warn', pino.destination({ dest: 2, sync: true }))));
      if (o.json) return print(JSON.stringify({ at: at.toISOString(), ...result }));
      for (const r of result.reminders) print(`reminder ${r.number} queued for ${r.collaborationId}`);
      for (const id of result.expired) print(`invitation expired: ${id}`);
      print(`${at.toISOString()}: ${result.reminders.length} reminders, ${result.expired.length} expired`);
    });

  program
    .command('invitations')
    .description('invitations and their reminders')
    .command('list')
    .description('invitations, newest first, with state, reminders sent and when the job looks at them next')
    .option('--pending', 'only those still waiting for approval')
    .option('--json', 'print a JSON array')
    .option('--limit <n>', 'at most this many', '100')
    .action(async (o: { pending?: boolean; json?: boolean; limit: string }) => {
      const rows = await withReadOnlyDatabase(cliConfig(), (db) => listInvitations(db, { pendingOnly: !!o.pending, limit: Number(o.limit) || 100 }));
      const view = rows.map((c) => ({
        collaborationId: c.id,
        state: c.state,
        kind: c.invitationKind,
        customer: c.activation.customer.name,
        service: c.activation.service.code,
        invitedAt: new Date(c.invitedAt).toISOString(),
        remindersSent: c.remindersSent,
        nextDueAt: c.state === 'pending' && c.nextDueAt ? new Date(c.nextDueAt).toISOString() : null,
        expiresAt: new Date(c.expiresAt).toISOString(),
      }));
      if (o.json) return print(JSON.stringify(view, null, 2));
      if (view.length === 0) return print('no invitations');
      for (const v of view) {
        print(`${v.collaborationId}  ${v.state.padEnd(7)}  ${v.kind.padEnd(13)}  reminders=${v.remindersSent}  next=${v.nextDueAt ?? '-'}  expires=${v.expiresAt}  ${v.customer} (${v.service})`);
      }
    });
}

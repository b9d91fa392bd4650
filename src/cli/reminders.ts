/** `reminders run` and `invitations list`: the reminder job by hand, and what it looks at. */
import type { Command } from 'commander';
import pino from 'pino';
import { planReminderPass, runReminderPass } from '../reminders/reminder-pass.js';
import type { ReminderPolicy } from '../domain/invitation-schedule.js';
import type { Config } from '../config.js';
import { listInvitations } from '../store/collaborations.js';
import { createLogger, maskSecrets } from '../logger.js';
import { cliConfig, print, withDatabase, withReadOnlyDatabase } from './context.js';

/** The pass at `at`, read-only: who would get which email. */
async function dryRun(config: Config, policy: ReminderPolicy, at: Date, json?: boolean): Promise<void> {
  const actions = await withReadOnlyDatabase(config, (db) => planReminderPass(db, policy, at));
  const reminders = actions.flatMap((a) => (a.kind === 'reminder' ? [{ collaborationId: a.collaborationId, number: a.number, to: maskSecrets(a.to) }] : []));
  const expired = actions.flatMap((a) => (a.kind === 'expire' ? [{ collaborationId: a.collaborationId, to: maskSecrets(a.to) }] : []));
  if (json) return print(JSON.stringify({ at: at.toISOString(), dryRun: true, reminders, expired }));
  for (const r of reminders) print(`would send reminder ${r.number} for ${r.collaborationId} to ${r.to}`);
  for (const e of expired) print(`would expire ${e.collaborationId} and tell the agency user ${e.to}`);
  print(`${at.toISOString()}: dry run, nothing changed: ${reminders.length} reminders, ${expired.length} expired`);
}

/** `3 days`, `1.5 days`, `5 hours`, `12 minutes`: to a tenth, as an operator reads it. */
function describeSpan(ms: number): string {
  const tenths = (n: number) => Math.round(n * 10) / 10;
  if (ms >= 86_400_000) return `${tenths(ms / 86_400_000)} days`;
  if (ms >= 3_600_000) return `${tenths(ms / 3_600_000)} hours`;
  return `${Math.ceil(ms / 60_000)} minutes`;
}

function parseInstant(text: string): Date {
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) throw new Error(`--at "${text}" is not an ISO-8601 time, e.g. 2026-11-25T09:00:00+01:00`);
  return at;
}

/** A little clock skew between machines is not "the future". */
const FUTURE_TOLERANCE_MS = 60_000;

interface RunOptions {
  at?: string;
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
}

export function registerReminders(program: Command): void {
  program
    .command('reminders')
    .description('the reminder job')
    .command('run')
    .description('run one reminder pass now (queues reminder and expiry emails; a running worker sends them)')
    .option('--at <iso>', 'run as if the clock said this time (ISO-8601); a time ahead needs --dry-run or --yes')
    .option('--dry-run', 'only show what the pass would send, and to whom (addresses masked); change nothing')
    .option('--yes', 'run with --at ahead of now: send the reminders and expire the invitations due by then, early')
    .option('--json', 'print the result as JSON')
    .action(async (o: RunOptions) => {
      const config = cliConfig();
      const at = o.at ? parseInstant(o.at) : new Date();
      const policy = { reminderDays: config.reminderDays, invitationExpiryDays: config.invitationExpiryDays };
      if (o.dryRun) return dryRun(config, policy, at, o.json);
      const ahead = at.getTime() - Date.now();
      if (ahead > FUTURE_TOLERANCE_MS) {
        const span = describeSpan(ahead);
        if (!o.yes) {
          throw new Error(
            `--at ${at.toISOString()} is ${span} ahead: the pass would send, now, the reminders and expiries due by then (emails to customers and agencies, ` +
              'invitations expired early). See what it would do with --dry-run; add --yes to run it anyway.',
          );
        }
        process.stderr.write(`running as if it were ${at.toISOString()}, ${span} ahead (--yes): reminders and expiries due by then are queued now\n`);
      }
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

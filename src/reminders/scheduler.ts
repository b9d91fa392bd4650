/**
 * Runs the reminder pass on REMINDER_SCHEDULE (time zone Europe/Stockholm, through daylight-saving
 * switches as schedule/cron-schedule.ts says). Several workers may each fire: the pass itself
 * guarantees each reminder is sent once, so no coordinator is needed.
 */
import type { Database } from '../store/database.js';
import type { ReminderPolicy } from '../domain/invitation-schedule.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import cron from 'node-cron';
import { parseSchedule } from '../schedule/cron-schedule.js';
import { scheduleJob, type ScheduledJob } from '../schedule/scheduled-job.js';
import { runReminderPass } from './reminder-pass.js';
import type { Tracing } from '../tracing/tracing.js';

export interface ReminderSchedulerDeps {
  db: Database;
  policy: ReminderPolicy;
  schedule: string;
  clock: () => Date;
  log: Logger;
  metrics: Metrics;
  tracing: Tracing;
  /** Called after a pass that queued emails, so the outbox sends them now. */
  onQueued: () => void;
}

export function startReminderScheduler(deps: ReminderSchedulerDeps): ScheduledJob {
  if (!cron.validate(deps.schedule)) throw new Error(`REMINDER_SCHEDULE="${deps.schedule}" is not a valid cron expression`);
  return scheduleJob(parseSchedule(deps.schedule), 'reminders', async () => {
    try {
      const result = await runReminderPass(deps.db, deps.policy, deps.clock(), deps.log, undefined, deps.tracing);
      if (result.reminders.length || result.expired.length) deps.onQueued();
    } catch (err) {
      deps.log.error({ err }, 'reminder pass failed; the next run picks up what is due');
    }
  }, deps.log);
}

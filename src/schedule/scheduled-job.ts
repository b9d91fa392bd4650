/**
 * Runs a job at the times of a CronSchedule (see cron-schedule.ts for the DST rules). A run
 * never overlaps the one before: a run that lasts past the next time makes that time be
 * skipped, not queued. Errors are the job's to handle; one that escapes is logged.
 */
import type { Logger } from '../logger.js';
import { nextRun, type CronSchedule } from './cron-schedule.js';

export interface ScheduledJob {
  /** When it runs next (undefined once stopped, or when the expression never matches). */
  nextRunAt(): Date | undefined;
  /** No more runs; resolves when the run in progress, if any, has finished. */
  stop(): Promise<void>;
}

/** setTimeout's longest wait (about 24.8 days); longer waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function scheduleJob(schedule: CronSchedule, name: string, job: () => Promise<unknown>, log: Logger): ScheduledJob {
  let timer: NodeJS.Timeout | undefined;
  let next: Date | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = false;

  const arm = (after: Date) => {
    next = nextRun(schedule, after);
    if (!next || stopped) return;
    const due = next;
    // unref: a schedule alone does not keep the process alive (the worker's connections do)
    timer = setTimeout(() => fire(due), Math.min(Math.max(due.getTime() - Date.now(), 0), MAX_TIMER_MS)).unref();
  };

  const fire = async (due: Date) => {
    timer = undefined;
    if (stopped) return;
    if (Date.now() < due.getTime()) {
      // a long wait taken in steps, or a timer that fired early
      timer = setTimeout(() => fire(due), Math.min(due.getTime() - Date.now(), MAX_TIMER_MS)).unref();
      return;
    }
    running = job().catch((err: unknown) => log.error({ err, job: name }, 'scheduled job failed'));
    await running;
    running = undefined;
    // after the due time, or after now when the run took longer than the interval
    arm(new Date(Math.max(Date.now(), due.getTime())));
  };

  arm(new Date());
  return {
    nextRunAt: () => (stopped ? undefined : next),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

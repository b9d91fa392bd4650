/**
 * Runs retention on RETENTION_SCHEDULE (time zone Europe/Stockholm, through daylight-saving
 * switches as schedule/cron-schedule.ts says), in the process that runs the reminder job.
 * Several workers may each fire: deleting what another already deleted is a no-op.
 */
import cron from 'node-cron';
import { parseSchedule } from '../schedule/cron-schedule.js';
import { scheduleJob } from '../schedule/scheduled-job.js';
import type { Database } from '../store/database.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { pruneOld, retentionCutoff, type Pruned } from '../store/retention.js';

export interface RetentionSchedulerDeps {
  db: Database;
  /** RETENTION_DAYS; 0: no scheduler at all. */
  days: number;
  schedule: string;
  clock: () => Date;
  log: Logger;
  metrics: Metrics;
  /** Rows per transaction; tests use a small one. */
  chunkSize?: number;
}

export interface RetentionScheduler {
  /** One run now, as the schedule runs it: errors are logged, not thrown (undefined then). */
  runNow(): Promise<Pruned | undefined>;
  /** No more runs; a run in progress stops after its current chunk, and is waited for. */
  stop(): Promise<void>;
}

export function startRetentionScheduler(deps: RetentionSchedulerDeps): RetentionScheduler | undefined {
  if (deps.days === 0) {
    deps.log.info('retention is off (RETENTION_DAYS=0): done outbox rows and inbox marks are kept');
    return undefined;
  }
  if (!cron.validate(deps.schedule)) throw new Error(`RETENTION_SCHEDULE="${deps.schedule}" is not a valid cron expression`);
  const schedule = parseSchedule(deps.schedule);
  const stopping = new AbortController();
  const inFlight = new Set<Promise<unknown>>();

  const run = async (): Promise<Pruned | undefined> => {
    const before = retentionCutoff(deps.clock().getTime(), deps.days);
    const started = performance.now();
    try {
      const pruned = await pruneOld(deps.db, before, { chunkSize: deps.chunkSize, signal: stopping.signal });
      deps.metrics.prunedRows.inc({ table: 'outbox' }, pruned.outbox);
      deps.metrics.prunedRows.inc({ table: 'inbox' }, pruned.inbox);
      const fields = { ...pruned, before: new Date(before).toISOString(), durationMs: Math.round(performance.now() - started) };
      if (stopping.signal.aborted) deps.log.info(fields, 'pruning stopped by shutdown; the next run deletes the rest');
      else deps.log.info(fields, 'pruned done outbox rows and inbox marks');
      return pruned;
    } catch (err) {
      deps.log.error({ err }, 'pruning failed; the next run tries again');
      return undefined;
    }
  };
  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    return work.finally(() => inFlight.delete(work));
  };

  const job = scheduleJob(schedule, 'retention', () => track(run()), deps.log);
  return {
    runNow: () => track(run()),
    async stop() {
      await job.stop();
      stopping.abort();
      await Promise.all(inFlight);
    },
  };
}

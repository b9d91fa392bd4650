/**
 * The schedules through the daylight-saving switches of Europe/Stockholm: autumn 2026-10-25
 * (03:00 CEST → 02:00 CET, at 01:00 UTC) and spring 2027-03-28 (02:00 CET → 03:00 CEST, at
 * 01:00 UTC). node-cron 4.6 went from 01:45 CEST to 02:00 CET at the autumn switch: 75 minutes.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nextRuns, parseSchedule } from '../../src/schedule/cron-schedule.js';
import { scheduleJob } from '../../src/schedule/scheduled-job.js';
import { createLogger } from '../../src/logger.js';

const MIN = 60_000;
const utc = (iso: string) => new Date(`${iso}Z`);
const gaps = (runs: Date[]) => runs.slice(1).map((d, i) => (d.getTime() - runs[i]!.getTime()) / MIN);
const STOCKHOLM = new Intl.DateTimeFormat('sv-SE', {
  timeZone: 'Europe/Stockholm', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short',
});
const stockholm = (d: Date) => STOCKHOLM.format(d);

describe.each([
  ['autumn', '2026-10-24T22:00:00'],
  ['spring', '2027-03-27T22:00:00'],
])('REMINDER_SCHEDULE */15 * * * * at the %s switch', (_, from) => {
  it('runs every 15 minutes of real time: none skipped, none doubled', () => {
    const runs = nextRuns(parseSchedule('*/15 * * * *'), utc(from), 6 * 4); // 22:00 to 04:00 UTC
    expect(gaps(runs)).toEqual(Array(23).fill(15));
    expect(runs[0]).toEqual(new Date(utc(from).getTime() + 15 * MIN));
    expect(new Set(runs.map((d) => d.getTime())).size).toBe(24);
  });
});

describe('the autumn switch, 2026-10-25', () => {
  it('runs */15 in both 02:00 hours, CEST then CET', () => {
    const runs = nextRuns(parseSchedule('*/15 * * * *'), utc('2026-10-24T23:40:00'), 9).map(stockholm);
    expect(runs).toEqual([
      '2026-10-25 01:45:00 CEST',
      '2026-10-25 02:00:00 CEST', '2026-10-25 02:15:00 CEST', '2026-10-25 02:30:00 CEST', '2026-10-25 02:45:00 CEST',
      '2026-10-25 02:00:00 CET', '2026-10-25 02:15:00 CET', '2026-10-25 02:30:00 CET', '2026-10-25 02:45:00 CET',
    ]);
  });

  it('runs a fixed time in the repeated hour once, the first time; RETENTION_SCHEDULE 30 3 * * * once a day', () => {
    expect(nextRuns(parseSchedule('30 2 * * *'), utc('2026-10-24T12:00:00'), 2).map(stockholm)).toEqual(['2026-10-25 02:30:00 CEST', '2026-10-26 02:30:00 CET']);
    expect(nextRuns(parseSchedule('30 3 * * *'), utc('2026-10-23T12:00:00'), 3).map(stockholm)).toEqual([
      '2026-10-24 03:30:00 CEST', '2026-10-25 03:30:00 CET', '2026-10-26 03:30:00 CET',
    ]);
  });

  it('runs an hourly expression every 60 minutes', () => {
    expect(gaps(nextRuns(parseSchedule('0 * * * *'), utc('2026-10-24T21:30:00'), 8))).toEqual(Array(7).fill(60));
  });
});

describe('the spring switch, 2027-03-28', () => {
  it('runs a fixed time in the skipped hour right after the switch, once; RETENTION_SCHEDULE once a day', () => {
    expect(nextRuns(parseSchedule('30 2 * * *'), utc('2027-03-27T12:00:00'), 2).map(stockholm)).toEqual(['2027-03-28 03:00:00 CEST', '2027-03-29 02:30:00 CEST']);
    expect(nextRuns(parseSchedule('30 3 * * *'), utc('2027-03-26T12:00:00'), 3).map(stockholm)).toEqual([
      '2027-03-27 03:30:00 CET', '2027-03-28 03:30:00 CEST', '2027-03-29 03:30:00 CEST',
    ]);
  });

  it('keeps the days of an expression, in the zone: weekdays at 09:00', () => {
    expect(nextRuns(parseSchedule('0 9 * * 1-5'), utc('2027-03-26T12:00:00'), 2).map(stockholm)).toEqual(['2027-03-29 09:00:00 CEST', '2027-03-30 09:00:00 CEST']);
  });
});

describe('a scheduled job', () => {
  afterEach(() => vi.useRealTimers());

  it('fires at those times on the clock, across the autumn switch, and not after stop', async () => {
    vi.useFakeTimers({ now: utc('2026-10-24T23:00:00') });
    const fired: string[] = [];
    const job = scheduleJob(parseSchedule('*/15 * * * *'), 'test', async () => void fired.push(new Date().toISOString()), createLogger('silent'));
    await vi.advanceTimersByTimeAsync(3 * 60 * MIN);
    expect(fired).toHaveLength(12);
    expect(gaps(fired.map((iso) => new Date(iso)))).toEqual(Array(11).fill(15));
    expect(fired[0]).toBe('2026-10-24T23:15:00.000Z');
    await job.stop();
    await vi.advanceTimersByTimeAsync(60 * MIN);
    expect(fired).toHaveLength(12);
  });

  it('skips a time that a run still in progress overlaps, and logs an error that escapes', async () => {
    vi.useFakeTimers({ now: utc('2026-11-01T10:00:00') });
    const lines: string[] = [];
    const log = createLogger('error', { write: (line: string) => void lines.push(line) });
    let runs = 0;
    const job = scheduleJob(parseSchedule('*/15 * * * *'), 'slow', async () => {
      runs++;
      await new Promise((resolve) => setTimeout(resolve, 20 * MIN)); // longer than the interval
      throw new Error('boom');
    }, log);
    await vi.advanceTimersByTimeAsync(60 * MIN + 1);
    // 10:15 (till 10:35), 10:45 (till 11:05): 10:30 and 11:00 skipped
    expect(runs).toBe(2);
    expect(lines.filter((l) => l.includes('"msg":"scheduled job failed"') && l.includes('"job":"slow"'))).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(10 * MIN);
    await job.stop();
  });
});

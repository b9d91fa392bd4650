/**
 * When a cron expression runs next, in a time zone, across daylight-saving switches.
 *
 * node-cron 4.6 parses and matches the expression; the next run is computed here because its
 * own computation skips 75 minutes of `*\/15 * * * *` at the autumn switch in Europe/Stockholm
 * (after 01:45 CEST it goes to 02:00 CET). The rules are cron's own (cronie, cron(8), "Daylight
 * Saving Time and other time changes"):
 * - an expression with `*` in its minute or hour field (`*\/15 * * * *`, `0 * * * *`) runs on
 *   the clock as it reads at each moment: every 15 minutes of real time, through both switches;
 * - an expression at fixed times (`30 3 * * *`) runs once per wall-clock match: a time in the
 *   hour that repeats in autumn runs the first time only, a time in the hour skipped in spring
 *   runs right after the switch.
 */
import cron, { type ScheduledTask } from 'node-cron';

export const SCHEDULE_ZONE = 'Europe/Stockholm';

export interface CronSchedule {
  expression: string;
  zone: string;
  /** Fixed times (no `*` in the minute and hour fields): cron's DST adjustments apply. */
  fixedTime: boolean;
  /** The expression's seconds, minutes and hours as node-cron reads them. */
  times: { second: number[]; minute: number[]; hour: number[] };
  /** node-cron's matcher in UTC: applied to a wall-clock time written as if it were UTC. */
  wallMatcher: ScheduledTask;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Daylight-saving shifts are at most 2 hours (1 in Stockholm): look this far around them. */
const SHIFT_MARGIN = 3 * HOUR;
/** Search at most this far ahead (a 29 February falls on a given weekday once in 28 years). */
const HORIZON_DAYS = 366 * 28;

/** Throws node-cron's error for an invalid expression; `zone` is an IANA time zone. */
export function parseSchedule(expression: string, zone = SCHEDULE_ZONE): CronSchedule {
  const parsed = cron.parse(expression);
  const fields = expression.trim().split(/\s+/);
  const [minute, hour] = fields.length === 6 ? fields.slice(1) : fields;
  return {
    expression,
    zone,
    fixedTime: !minute!.startsWith('*') && !hour!.startsWith('*'),
    times: { second: parsed.second, minute: parsed.minute, hour: parsed.hour },
    // created, never started: used only for its match()
    wallMatcher: cron.createTask(expression, () => undefined, { timezone: 'UTC', name: `matcher:${expression}` }),
  };
}

/** The first run strictly after `after`; undefined when the expression never matches (e.g. 30 February). */
export function nextRun(schedule: CronSchedule, after: Date): Date | undefined {
  const afterMs = after.getTime();
  const zone = schedule.zone;
  let best: number | undefined;
  // A wall time a little behind `after`'s may still be ahead in real time (autumn repeats an hour).
  for (const wall of wallTimes(schedule, wallOf(afterMs, zone) - SHIFT_MARGIN)) {
    if (best !== undefined && wall > wallOf(best, zone) + SHIFT_MARGIN) break;
    for (const t of instantsOf(wall, schedule)) {
      if (t > afterMs && (best === undefined || t < best)) best = t;
    }
  }
  return best === undefined ? undefined : new Date(best);
}

/** The next `count` runs after `after`: what an operator (or a test) wants to see. */
export function nextRuns(schedule: CronSchedule, after: Date, count: number): Date[] {
  const runs: Date[] = [];
  let from = after;
  for (let i = 0; i < count; i++) {
    const next = nextRun(schedule, from);
    if (!next) break;
    runs.push(next);
    from = next;
  }
  return runs;
}

/** Matching wall-clock times (ms, written as UTC) from `start` on, in order. */
function* wallTimes(schedule: CronSchedule, start: number): Generator<number> {
  const { second, minute, hour } = schedule.times;
  const firstDay = Math.floor(start / DAY) * DAY;
  for (let day = firstDay; day < firstDay + HORIZON_DAYS * DAY; day += DAY) {
    // minutes, hours and seconds come from the lists, so only the day can fail the match
    if (!schedule.wallMatcher.match(new Date(day + hour[0]! * HOUR + minute[0]! * MINUTE + second[0]! * 1000))) continue;
    for (const h of hour) {
      for (const m of minute) {
        for (const s of second) {
          const wall = day + h * HOUR + m * MINUTE + s * 1000;
          if (wall >= start) yield wall;
        }
      }
    }
  }
}

/** The instants at which the zone's clock reads `wall`, adjusted by cron's DST rules. */
function instantsOf(wall: number, schedule: CronSchedule): number[] {
  const zone = schedule.zone;
  const candidates = [...new Set([wall - offsetAt(wall - SHIFT_MARGIN, zone), wall - offsetAt(wall + SHIFT_MARGIN, zone)])]
    .filter((t) => wallOf(t, zone) === wall)
    .sort((a, b) => a - b);
  if (!schedule.fixedTime) return candidates;
  if (candidates.length === 0) return [endOfGap(wall, zone)]; // skipped in spring: right after the switch
  return candidates.slice(0, 1); // repeated in autumn: the first time only
}

/** The instant the clock jumps over `wall` (which it never reads), to the minute. */
function endOfGap(wall: number, zone: string): number {
  let before = wall - offsetAt(wall - SHIFT_MARGIN, zone) - SHIFT_MARGIN; // reads earlier than `wall`
  let after = wall - offsetAt(wall - SHIFT_MARGIN, zone) + SHIFT_MARGIN; // reads later
  while (after - before > MINUTE) {
    const mid = before + Math.floor((after - before) / 2 / MINUTE) * MINUTE;
    if (wallOf(mid, zone) < wall) before = mid;
    else after = mid;
  }
  return after;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** What the zone's clock reads at instant `t`, written as a UTC timestamp. */
function wallOf(t: number, zone: string): number {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(zone, format);
  }
  const p = Object.fromEntries(format.formatToParts(new Date(t)).map(({ type, value }) => [type, Number(value)]));
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) + (t % 1000 + 1000) % 1000;
}

function offsetAt(t: number, zone: string): number {
  return wallOf(t, zone) - t;
}

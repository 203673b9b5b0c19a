import { validateDetailed, type ParsedFields } from 'node-cron';

/**
 * Cron arithmetic for schedules: validation, the next fire time (the API's `nextRunAt`) and the
 * latest past fire time (the scheduler's catch-up).
 *
 * node-cron parses the expression (`validateDetailed`), so ranges, steps, names and the `L`/`W`/`#`
 * tokens mean exactly what they mean to the node-cron tasks that fire the ticks. node-cron can only
 * tell us the next runs *from now* (`task.getNextRuns`), through a task registered in its global
 * registry; catch-up needs "the latest tick before t" for any t. So the walk over calendar days is
 * ours, a port of node-cron 4.6's own walker (same day-matching rules, same DST resolution: a local
 * time inside a spring-forward gap does not fire, a repeated fall-back hour fires once, on its first
 * occurrence). cron.test.ts checks it against node-cron's `getNextRuns` and `match`, so a node-cron
 * upgrade that changes semantics fails a test instead of drifting silently.
 */

const DAY_MS = 86_400_000;
/** node-cron gives up after 100 years too; an expression that never matches is invalid input. */
const MAX_DAYS = 366 * 100;

export interface CronProblem {
  message: string;
}

/** Why `expression` is not a 5- or 6-field cron expression node-cron accepts, or null if it is. */
export function cronProblem(expression: string): CronProblem | null {
  const fields = expression.trim().split(/\s+/).filter((field) => field.length > 0);
  // node-cron also accepts nicknames such as `@daily`; the API promises 5 or 6 fields, so we don't.
  if (fields.length !== 5 && fields.length !== 6) return { message: `must have 5 or 6 fields (seconds optional), got ${fields.length}` };
  const result = validateDetailed(fields.join(' '));
  if (!result.valid) return { message: result.errors[0]?.message ?? 'is not a valid cron expression' };
  return null;
}

/**
 * The canonical IANA name for `timezone` (`america/new_york` → `America/New_York`, `US/Eastern` →
 * `America/New_York`), or null if it is not one. Offsets such as `+01:00` are refused even where
 * Intl accepts them: they are not zone names, and a fixed offset is spelled `Etc/GMT-1`.
 */
export function canonicalTimezone(timezone: string): string | null {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(timezone)) return null;
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: timezone }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

export class InvalidCronError extends Error {
  override readonly name = 'InvalidCronError';
}

export interface CronSchedule {
  readonly expression: string;
  readonly timezone: string;
  /** The first fire time strictly after `after`, or null if there is none within 100 years. */
  next(after: Date): Date | null;
  /** The latest fire time at or before `atOrBefore`, or null if there is none within 100 years. */
  previous(atOrBefore: Date): Date | null;
  /** Whether `date` (to the second) is a fire time. */
  matches(date: Date): boolean;
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timezone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      hourCycle: 'h23',
    });
    formatters.set(timezone, formatter);
  }
  return formatter;
}

function localParts(ms: number, timezone: string): LocalParts {
  const parts: LocalParts = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatterFor(timezone).formatToParts(ms)) {
    if (part.type in parts) parts[part.type as keyof LocalParts] = Number(part.value);
  }
  // Some ICU versions still print midnight as 24 under h23.
  if (parts.hour === 24) parts.hour = 0;
  return parts;
}

function wallClockAsUtc(parts: LocalParts): number {
  return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second);
}

/** The zone's offset from UTC at instant `ms`, in ms (wall clock minus UTC). */
function offsetAt(ms: number, timezone: string): number {
  const whole = Math.floor(ms / 1000) * 1000;
  return wallClockAsUtc(localParts(whole, timezone)) - whole;
}

function readsBackTo(ms: number, parts: LocalParts, timezone: string): boolean {
  const back = localParts(ms, timezone);
  return (
    back.year === parts.year &&
    back.month === parts.month &&
    back.day === parts.day &&
    back.hour === parts.hour &&
    back.minute === parts.minute &&
    back.second === parts.second
  );
}

/**
 * The instant a wall-clock time names in `timezone`, resolved the way node-cron 4.6 resolves it:
 * in a fall-back overlap the earlier instant, in a spring-forward gap an instant that does not read
 * back to the requested time (so the caller's match check rejects it).
 */
function wallClockToInstant(parts: LocalParts, timezone: string): number {
  const guess = wallClockAsUtc(parts);
  const firstOffset = offsetAt(guess, timezone);
  const candidate1 = guess - firstOffset;
  const secondOffset = offsetAt(candidate1, timezone);
  if (secondOffset === firstOffset) return candidate1;
  const candidate2 = guess - secondOffset;
  if (readsBackTo(candidate1, parts, timezone)) return candidate1;
  if (readsBackTo(candidate2, parts, timezone)) return candidate2;
  return Math.max(candidate1, candidate2);
}

function lastDayOfMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

/** `15W`: the weekday nearest the 15th, never crossing into another month. */
function nearestWeekday(year: number, month: number, target: number): number {
  const last = lastDayOfMonth(year, month);
  if (target < 1 || target > last) return -1;
  const weekday = weekdayOf(year, month, target);
  if (weekday === 6) return target === 1 ? target + 2 : target - 1;
  if (weekday === 0) return target === last ? target - 2 : target + 1;
  return target;
}

// Case-sensitive on purpose: node-cron upper-cases these tokens while parsing and matches them so.
const WEEKDAY_TOKEN = /^(\d{1,2}|L)W$/;
const LAST_DAY_OFFSET_TOKEN = /^L-(\d{1,2})$/;
const LAST_WEEKDAY_TOKEN = /^([0-7])L$/i;
const NTH_WEEKDAY_TOKEN = /^([0-7])#([1-5])$/;

function matchesDayOfMonth(field: ReadonlyArray<number | string>, year: number, month: number, day: number): boolean {
  for (const value of field) {
    if (value === day) return true;
    if (typeof value !== 'string') continue;
    if (value === 'L' && day === lastDayOfMonth(year, month)) return true;
    const weekday = WEEKDAY_TOKEN.exec(value);
    if (weekday?.[1] !== undefined) {
      const target = weekday[1] === 'L' ? lastDayOfMonth(year, month) : Number.parseInt(weekday[1], 10);
      if (nearestWeekday(year, month, target) === day) return true;
    }
    const offset = LAST_DAY_OFFSET_TOKEN.exec(value);
    if (offset?.[1] !== undefined) {
      const target = lastDayOfMonth(year, month) - Number.parseInt(offset[1], 10);
      if (target >= 1 && target === day) return true;
    }
  }
  return false;
}

function matchesDayOfWeek(field: ReadonlyArray<number | string>, year: number, month: number, day: number): boolean {
  const weekday = weekdayOf(year, month, day);
  for (const value of field) {
    if (value === weekday) return true;
    if (typeof value !== 'string') continue;
    const nth = NTH_WEEKDAY_TOKEN.exec(value);
    if (nth?.[1] !== undefined && nth[2] !== undefined) {
      if (Number.parseInt(nth[1], 10) % 7 === weekday && Math.floor((day - 1) / 7) + 1 === Number.parseInt(nth[2], 10)) return true;
      continue;
    }
    const last = LAST_WEEKDAY_TOKEN.exec(value);
    // A weekday is the month's last of its kind when a week later is already next month.
    if (last?.[1] !== undefined && Number.parseInt(last[1], 10) % 7 === weekday && day + 7 > lastDayOfMonth(year, month)) return true;
  }
  return false;
}

function numbers(values: ReadonlyArray<number | string>): number[] {
  return [...new Set(values.filter((value): value is number => typeof value === 'number'))].sort((a, b) => a - b);
}

/**
 * Compiles a validated expression for one timezone. Throws InvalidCronError when node-cron rejects
 * the expression or the timezone is not an IANA name.
 */
export function compileCron(expression: string, timezone: string): CronSchedule {
  const problem = cronProblem(expression);
  if (problem) throw new InvalidCronError(`cron ${JSON.stringify(expression)} ${problem.message}`);
  const zone = canonicalTimezone(timezone);
  if (!zone) throw new InvalidCronError(`timezone ${JSON.stringify(timezone)} is not an IANA time zone`);
  const validation = validateDetailed(expression.trim().split(/\s+/).join(' '));
  const fields: ParsedFields | undefined = validation.fields;
  if (!fields) throw new InvalidCronError(`cron ${JSON.stringify(expression)} could not be parsed`);

  const seconds = numbers(fields.second);
  const minutes = numbers(fields.minute);
  const hours = numbers(fields.hour);
  const months = new Set(numbers(fields.month));
  const secondSet = new Set(seconds);
  const minuteSet = new Set(minutes);
  const hourSet = new Set(hours);

  // day-of-month and day-of-week combine with AND in node-cron (not cron's traditional OR).
  const dayMatches = (year: number, month: number, day: number) =>
    months.has(month) && matchesDayOfMonth(fields.dayOfMonth, year, month, day) && matchesDayOfWeek(fields.dayOfWeek, year, month, day);

  const matchesInstant = (ms: number) => {
    const parts = localParts(ms, zone);
    return (
      secondSet.has(parts.second) &&
      minuteSet.has(parts.minute) &&
      hourSet.has(parts.hour) &&
      dayMatches(parts.year, parts.month, parts.day)
    );
  };

  const next = (after: Date): Date | null => {
    const baseMs = Math.floor(after.getTime() / 1000) * 1000;
    const base = localParts(baseMs, zone);
    const baseSecondOfDay = base.hour * 3600 + base.minute * 60 + base.second;
    let cursor = Date.UTC(base.year, base.month - 1, base.day);
    for (let index = 0; index < MAX_DAYS; index += 1, cursor += DAY_MS) {
      const date = new Date(cursor);
      const [year, month, day] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
      if (!dayMatches(year, month, day)) continue;
      for (const hour of hours) {
        if (index === 0 && hour < base.hour) continue;
        for (const minute of minutes) {
          for (const second of seconds) {
            if (index === 0 && hour * 3600 + minute * 60 + second <= baseSecondOfDay) continue;
            const ms = wallClockToInstant({ year, month, day, hour, minute, second }, zone);
            if (ms > baseMs && matchesInstant(ms)) return new Date(ms);
          }
        }
      }
    }
    return null;
  };

  /**
   * The latest tick T <= t is the one where next(x) <= t holds for every x < T and fails from T
   * on. So: widen a window backwards until it holds a tick, then bisect it to the second. Built on
   * `next`, it can never disagree with it, DST included, in O(log(distance)) walks.
   */
  const previous = (atOrBefore: Date): Date | null => {
    const t = Math.floor(atOrBefore.getTime() / 1000) * 1000;
    const hasTickAfter = (x: number) => {
      const found = next(new Date(x));
      return found !== null && found.getTime() <= t;
    };
    let width = 1000;
    const maxWidth = MAX_DAYS * DAY_MS;
    while (!hasTickAfter(t - width)) {
      if (width >= maxWidth) return null;
      width = Math.min(width * 2, maxWidth);
    }
    // Invariant: hasTickAfter(low) is true, hasTickAfter(high) is false (nothing after t is <= t).
    let low = t - width;
    let high = t;
    while (high - low > 1000) {
      const middle = low + Math.floor((high - low) / 2000) * 1000;
      if (hasTickAfter(middle)) low = middle;
      else high = middle;
    }
    return next(new Date(low));
  };

  return {
    expression,
    timezone: zone,
    next,
    previous,
    matches: (date: Date) => matchesInstant(Math.floor(date.getTime() / 1000) * 1000),
  };
}

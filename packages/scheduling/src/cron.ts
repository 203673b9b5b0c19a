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

/** Longer than any expression a person writes; the API refuses longer ones before parsing. */
export const MAX_CRON_LENGTH = 200;
/** Per field: every minute listed one by one (`0,1,…,59`) is 170 characters, a sane list far less. */
export const MAX_CRON_FIELD_LENGTH = 100;

interface FieldSpec {
  label: string;
  min: number;
  max: number;
  /** Names node-cron maps to numbers, full and three-letter, case-insensitive; index + nameBase. */
  names?: readonly string[];
  nameBase?: number;
  kind: 'time' | 'dayOfMonth' | 'month' | 'dayOfWeek';
}

const MONTH_NAMES = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const WEEKDAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

/** Seconds first; a 5-field expression is read with seconds = 0, as node-cron reads it. */
const FIELD_SPECS: readonly FieldSpec[] = [
  { label: 'second', min: 0, max: 59, kind: 'time' },
  { label: 'minute', min: 0, max: 59, kind: 'time' },
  { label: 'hour', min: 0, max: 23, kind: 'time' },
  { label: 'day of month', min: 1, max: 31, kind: 'dayOfMonth' },
  { label: 'month', min: 1, max: 12, names: MONTH_NAMES, nameBase: 1, kind: 'month' },
  // 7 is Sunday too.
  { label: 'week day', min: 0, max: 7, names: WEEKDAY_NAMES, nameBase: 0, kind: 'dayOfWeek' },
];

type Token = { type: 'number'; text: string } | { type: 'word'; text: string } | { type: 'symbol'; text: string };

/**
 * node-cron 4.6 expands every range into an array before it checks a single bound: `0-200000000`
 * in the minute field allocated 200 million entries and killed the API with "Fatal JavaScript
 * invalid size error", and a range ten times smaller held the event loop for seconds. So every
 * field goes through this lexer first, and node-cron only ever sees numbers within the field's
 * bounds, steps no longer than the field, and the token shapes it documents.
 */
function tokenize(field: string): Token[] | string {
  const tokens: Token[] = [];
  let index = 0;
  while (index < field.length) {
    const rest = field.slice(index);
    const match = /^(\d+)|^([A-Za-z]+)|^([*?\-/#,])/.exec(rest);
    if (!match) return `contains ${JSON.stringify(rest[0])}`;
    if (match[1] !== undefined) tokens.push({ type: 'number', text: match[1] });
    else if (match[2] !== undefined) tokens.push({ type: 'word', text: match[2].toLowerCase() });
    else tokens.push({ type: 'symbol', text: match[0] });
    index += match[0].length;
  }
  return tokens;
}

/** A number of at most `digits` digits within [min, max], or why not. */
function boundedNumber(token: Token | undefined, min: number, max: number, what: string): number | string {
  if (token?.type !== 'number') return `expects a ${what}`;
  // Two or three digits cover every bound; a longer run is refused without being parsed.
  const value = token.text.length > 3 ? Number.POSITIVE_INFINITY : Number.parseInt(token.text, 10);
  if (value < min || value > max) return `${token.text.length > 12 ? `${token.text.slice(0, 12)}…` : token.text} is out of range ${min}-${max}`;
  return value;
}

/** A field value: a number within bounds, or (month, week day) a name. */
function fieldValue(token: Token | undefined, spec: FieldSpec): number | string {
  if (token?.type === 'word' && spec.names) {
    const index = spec.names.findIndex((name) => name === token.text || name.slice(0, 3) === token.text);
    if (index === -1) return `${JSON.stringify(token.text)} is not a ${spec.label} name`;
    return index + (spec.nameBase ?? 0);
  }
  return boundedNumber(token, spec.min, spec.max, spec.names ? `number ${spec.min}-${spec.max} or a name` : `number ${spec.min}-${spec.max}`);
}

const isSymbol = (token: Token | undefined, text: string) => token?.type === 'symbol' && token.text === text;

/** Why one comma-separated item of a field is not acceptable, or null. */
function itemProblem(tokens: readonly Token[], spec: FieldSpec): string | null {
  if (tokens.length === 0) return 'has an empty list item';
  const [first, second, third] = tokens;
  // node-cron's day tokens: L (last day), LW (last weekday), 15W (weekday nearest the 15th), L-3.
  if (spec.kind === 'dayOfMonth' && first?.type === 'word') {
    if (tokens.length === 1 && (first.text === 'l' || first.text === 'lw')) return null;
    if (first.text === 'l' && isSymbol(second, '-') && tokens.length === 3) {
      const offset = boundedNumber(third, 1, 30, 'number 1-30 after L-');
      return typeof offset === 'string' ? offset : null;
    }
    return `${JSON.stringify(first.text)} is not a day-of-month token (L, LW, 15W, L-3)`;
  }
  if (spec.kind === 'dayOfMonth' && first?.type === 'number' && second?.type === 'word') {
    if (second.text !== 'w' || tokens.length !== 2) return `${JSON.stringify(second.text)} is not a day-of-month token (L, LW, 15W, L-3)`;
    const day = boundedNumber(first, 1, 31, 'day 1-31 before W');
    return typeof day === 'string' ? day : null;
  }
  // Week-day tokens: 5L (last Friday of the month), 1#2 (second Monday); names are allowed for the day.
  if (spec.kind === 'dayOfWeek') {
    if (first?.type === 'number' && second?.type === 'word') {
      if (second.text !== 'l' || tokens.length !== 2) return `${JSON.stringify(second.text)} is not a week-day token (5L, 1#2)`;
      const day = fieldValue(first, spec);
      return typeof day === 'string' ? day : null;
    }
    if (first?.type === 'word' && tokens.length === 1 && first.text.length > 1 && first.text.endsWith('l') && !WEEKDAY_NAMES.includes(first.text)) {
      const day = fieldValue({ type: 'word', text: first.text.slice(0, -1) }, spec);
      return typeof day === 'string' ? day : null;
    }
    if (isSymbol(second, '#')) {
      if (tokens.length !== 3) return 'expects day#n, e.g. 1#2 for the second Monday';
      const day = fieldValue(first, spec);
      if (typeof day === 'string') return day;
      const nth = boundedNumber(third, 1, 5, 'number 1-5 after #');
      return typeof nth === 'string' ? nth : null;
    }
  }

  let rest: readonly Token[];
  let isRange: boolean;
  if (isSymbol(first, '*')) {
    rest = tokens.slice(1);
    isRange = true;
  } else {
    const start = fieldValue(first, spec);
    if (typeof start === 'string') return start;
    if (isSymbol(second, '-')) {
      const end = fieldValue(third, spec);
      if (typeof end === 'string') return end;
      rest = tokens.slice(3);
      isRange = true;
    } else {
      rest = tokens.slice(1);
      isRange = false;
    }
  }
  if (rest.length === 0) return null;
  if (!isSymbol(rest[0], '/') || rest.length !== 2) return `has an unexpected ${JSON.stringify(rest[0]?.text)}`;
  // node-cron steps only ranges; `5/10` would be refused by it, less clearly.
  if (!isRange) return 'steps need a range or *, e.g. 5-59/10';
  // A step longer than the field selects only its start: nobody means that, and it bounds the digits.
  const step = boundedNumber(rest[1], 1, spec.max - spec.min + 1, `step 1-${spec.max - spec.min + 1}`);
  return typeof step === 'string' ? step : null;
}

/** Why a field is not acceptable, or null: bounded length, then each list item. */
function fieldProblem(field: string, spec: FieldSpec): string | null {
  if (field.length > MAX_CRON_FIELD_LENGTH) return `is longer than ${MAX_CRON_FIELD_LENGTH} characters`;
  // node-cron reads `?` as `*`, but only as the whole day-of-month or week-day field.
  if (field === '?') return spec.kind === 'dayOfMonth' || spec.kind === 'dayOfWeek' ? null : '? is only allowed for day of month and week day';
  const tokens = tokenize(field);
  if (typeof tokens === 'string') return tokens;
  let item: Token[] = [];
  for (const token of [...tokens, { type: 'symbol', text: ',' } as const]) {
    if (token.type === 'symbol' && token.text === ',') {
      const problem = itemProblem(item, spec);
      if (problem) return problem;
      item = [];
    } else {
      item.push(token);
    }
  }
  return null;
}

/** The expression's fields with seconds first (`0` added to a 5-field one), or why it has none. */
function splitCron(expression: string): { fields: string[] } | CronProblem {
  if (expression.length > MAX_CRON_LENGTH) return { message: `is longer than ${MAX_CRON_LENGTH} characters` };
  const fields = expression.trim().split(/\s+/).filter((field) => field.length > 0);
  // node-cron also accepts nicknames such as `@daily`; the API promises 5 or 6 fields, so we don't.
  if (fields.length !== 5 && fields.length !== 6) return { message: `must have 5 or 6 fields (seconds optional), got ${fields.length}` };
  const withSeconds = fields.length === 5 ? ['0', ...fields] : fields;
  for (const [index, spec] of FIELD_SPECS.entries()) {
    const field = withSeconds[index] ?? '';
    const problem = fieldProblem(field, spec);
    if (problem) return { message: `${JSON.stringify(field.length > 40 ? `${field.slice(0, 40)}…` : field)} is invalid for ${spec.label}: ${problem}` };
  }
  return { fields };
}

/**
 * The expression parsed by node-cron, after our lexer has bounded it (see `tokenize`): the one
 * door to node-cron for a stored or submitted expression, so a bad row cannot crash a process.
 */
function parseCron(expression: string): { ok: true; normalized: string; fields: ParsedFields } | { ok: false; problem: CronProblem } {
  const split = splitCron(expression);
  if ('message' in split) return { ok: false, problem: split };
  const normalized = split.fields.join(' ');
  const result = validateDetailed(normalized);
  if (!result.valid || !result.fields) return { ok: false, problem: { message: result.errors[0]?.message ?? 'is not a valid cron expression' } };
  return { ok: true, normalized, fields: result.fields };
}

/** Why `expression` is not a 5- or 6-field cron expression node-cron accepts, or null if it is. */
export function cronProblem(expression: string): CronProblem | null {
  const parsed = parseCron(expression);
  return parsed.ok ? null : parsed.problem;
}

const SECONDS_PER_DAY = 86_400;

/**
 * The shortest gap, in seconds, the expression allows between two ticks. Conservative: the day
 * fields are ignored (any two days may be consecutive), so it is the smallest gap between the
 * second-of-day times the second, minute and hour fields select, the gap across midnight included.
 * These are wall-clock gaps; a spring-forward jump can bring two ticks closer once a year, which a
 * floor meant to bound load tolerates. Throws InvalidCronError for an expression cronProblem refuses.
 */
export function cronMinIntervalSeconds(expression: string): number {
  const parsed = parseCron(expression);
  if (!parsed.ok) throw new InvalidCronError(`cron ${JSON.stringify(expression)} ${parsed.problem.message}`);
  const fires = new Uint8Array(SECONDS_PER_DAY);
  for (const hour of numbers(parsed.fields.hour)) {
    for (const minute of numbers(parsed.fields.minute)) {
      for (const second of numbers(parsed.fields.second)) fires[hour * 3600 + minute * 60 + second] = 1;
    }
  }
  let first = -1;
  let last = -1;
  let shortest = SECONDS_PER_DAY;
  for (let second = 0; second < SECONDS_PER_DAY; second += 1) {
    if (fires[second] !== 1) continue;
    if (last === -1) first = second;
    else shortest = Math.min(shortest, second - last);
    last = second;
  }
  if (first === -1) throw new InvalidCronError(`cron ${JSON.stringify(expression)} selects no time of day`);
  return Math.min(shortest, first + SECONDS_PER_DAY - last);
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
 * Compiles an expression for one timezone. Throws InvalidCronError when our lexer or node-cron
 * rejects the expression, or the timezone is not an IANA name. Every caller with a stored
 * expression (the API's nextRunAt, the scheduler, catch-up) comes through here, so through the lexer.
 */
export function compileCron(expression: string, timezone: string): CronSchedule {
  const parsed = parseCron(expression);
  if (!parsed.ok) throw new InvalidCronError(`cron ${JSON.stringify(expression)} ${parsed.problem.message}`);
  const zone = canonicalTimezone(timezone);
  if (!zone) throw new InvalidCronError(`timezone ${JSON.stringify(timezone)} is not an IANA time zone`);
  const fields = parsed.fields;

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

import { createTask } from 'node-cron';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { canonicalTimezone, compileCron, cronMinIntervalSeconds, cronProblem, InvalidCronError } from './cron';

const EXPRESSIONS = [
  '* * * * * *',
  '*/7 * * * * *',
  '*/15 * * * *',
  '0 * * * *',
  '30 2 * * *',
  '15 1 * * *',
  '0 0 L * *',
  '0 9 15W * *',
  '0 9 LW * *',
  '0 9 * * 5L',
  '0 9 * * 1#2',
  '0 0 L-3 * *',
  '0 22-2 * * *',
  '0 0 29 2 *',
  '0 30 1 * * sun',
  '0 0 * * mon-fri',
  '45 23 * * *',
];
const TIMEZONES = ['UTC', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Pacific/Chatham'];
/** Each near a daylight-saving transition of at least one of the zones above, plus a leap day. */
const BASES = [
  '2026-03-08T06:30:00.000Z',
  '2026-11-01T05:10:00.000Z',
  '2026-03-29T00:30:00.000Z',
  '2026-10-25T00:30:00.000Z',
  '2026-04-04T14:10:00.000Z',
  '2028-02-28T23:59:58.500Z',
];

/** node-cron's own answer: `getNextRuns` counts from `new Date()`, so the clock is pinned to `base`. */
function nodeCronNextRuns(expression: string, timezone: string, base: Date, count: number): Date[] {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(base);
  const task = createTask(expression, () => undefined, { timezone });
  try {
    return task.getNextRuns(count);
  } finally {
    void task.destroy();
    vi.useRealTimers();
  }
}

describe('compileCron', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('finds the same next fire times as node-cron, across DST transitions, for every expression and zone', () => {
    let compared = 0;
    for (const expression of EXPRESSIONS) {
      for (const timezone of TIMEZONES) {
        const schedule = compileCron(expression, timezone);
        for (const iso of BASES) {
          const base = new Date(iso);
          const theirs = nodeCronNextRuns(expression, timezone, base, 6).map((date) => date.toISOString());
          const ours: string[] = [];
          let from = base;
          for (let index = 0; index < theirs.length; index += 1) {
            const next = schedule.next(from);
            if (!next) break;
            ours.push(next.toISOString());
            from = next;
          }
          expect(ours, `${expression} in ${timezone} from ${iso}`).toEqual(theirs);
          compared += ours.length;
        }
      }
    }
    expect(compared).toBe(EXPRESSIONS.length * TIMEZONES.length * BASES.length * 6);
  });

  it('finds the latest past fire time, inclusive, consistent with next', () => {
    for (const expression of EXPRESSIONS) {
      for (const timezone of TIMEZONES) {
        const schedule = compileCron(expression, timezone);
        for (const iso of BASES) {
          const runs = nodeCronNextRuns(expression, timezone, new Date(iso), 4);
          for (let index = 1; index < runs.length; index += 1) {
            const run = runs[index];
            const before = runs[index - 1];
            if (!run || !before) continue;
            const label = `${expression} in ${timezone} before ${run.toISOString()}`;
            expect(schedule.previous(run)?.toISOString(), label).toBe(run.toISOString());
            expect(schedule.previous(new Date(run.getTime() - 1))?.toISOString(), label).toBe(before.toISOString());
            expect(schedule.matches(run), label).toBe(true);
          }
        }
      }
    }
  });

  it('resolves a daily time in the spring-forward gap by skipping that day, like node-cron', () => {
    const schedule = compileCron('30 2 * * *', 'America/New_York');
    // 2026-03-08 has no 02:30 in New York: the clock jumps from 01:59:59 EST to 03:00 EDT.
    expect(schedule.next(new Date('2026-03-08T05:00:00Z'))?.toISOString()).toBe('2026-03-09T06:30:00.000Z');
  });

  it('fires a time in the repeated fall-back hour once, on its first occurrence', () => {
    const schedule = compileCron('30 1 * * *', 'America/New_York');
    // 01:30 happens at 05:30Z (EDT) and again at 06:30Z (EST) on 2026-11-01.
    expect(schedule.next(new Date('2026-11-01T04:00:00Z'))?.toISOString()).toBe('2026-11-01T05:30:00.000Z');
    expect(schedule.next(new Date('2026-11-01T05:30:00Z'))?.toISOString()).toBe('2026-11-02T06:30:00.000Z');
  });

  it('finds a tick far in the past without walking tick by tick', () => {
    const schedule = compileCron('0 0 29 2 *', 'UTC');
    const started = performance.now();
    expect(schedule.previous(new Date('2031-06-01T00:00:00Z'))?.toISOString()).toBe('2028-02-29T00:00:00.000Z');
    const everySecond = compileCron('* * * * * *', 'UTC');
    expect(everySecond.previous(new Date('2031-06-01T00:00:00.900Z'))?.toISOString()).toBe('2031-06-01T00:00:00.000Z');
    // Doubling then bisecting: some 60 walks, not a scan of three years second by second.
    expect(performance.now() - started).toBeLessThan(5_000);
  });

  it('rejects what node-cron rejects, naming the problem', () => {
    expect(() => compileCron('61 * * * *', 'UTC')).toThrow(InvalidCronError);
    expect(() => compileCron('* * * * *', 'Mars/Olympus')).toThrow(InvalidCronError);
  });
});

describe('cronProblem', () => {
  it('accepts 5 and 6 fields and extra spaces', () => {
    expect(cronProblem('0 2 * * *')).toBeNull();
    expect(cronProblem('*/2 * * * * *')).toBeNull();
    expect(cronProblem('  0   2 * *  mon ')).toBeNull();
  });

  it('refuses an out-of-range minute, a zero step, nicknames and the wrong number of fields', () => {
    expect(cronProblem('61 * * * *')?.message).toMatch(/minute/);
    expect(cronProblem('*/0 * * * *')).not.toBeNull();
    expect(cronProblem('@daily')?.message).toMatch(/5 or 6 fields/);
    expect(cronProblem('* * * *')?.message).toMatch(/5 or 6 fields/);
    expect(cronProblem('* * * * * * *')?.message).toMatch(/5 or 6 fields/);
    expect(cronProblem('0 0 30 2 *')).not.toBeNull();
    expect(cronProblem('0 0 * * * ; rm')).not.toBeNull();
  });
});

describe('cronProblem bounds what reaches node-cron', () => {
  it('refuses a range node-cron would expand into a process-killing array, at once', () => {
    const started = performance.now();
    for (const expression of ['0-200000000 * * * *', '0-20000000 * * * *', '* * 0-99999999999999999999 * *', '0 0 1-4000000000 * *', '*/1 0-20000000 * * * *']) {
      expect(cronProblem(expression)?.message, expression).toMatch(/out of range/);
    }
    expect(() => compileCron('0-200000000 * * * *', 'UTC')).toThrow(InvalidCronError);
    expect(() => cronMinIntervalSeconds('0-200000000 * * * *')).toThrow(InvalidCronError);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('refuses out-of-range numbers in every field, naming the field', () => {
    const cases: Array<[string, RegExp]> = [
      ['60 * * * * *', /second/],
      ['60 * * * *', /minute/],
      ['0 24 * * *', /hour/],
      ['0 0 0 * *', /day of month/],
      ['0 0 32 * *', /day of month/],
      ['0 0 * 0 *', /month/],
      ['0 0 * 13 *', /month/],
      ['0 0 * * 8', /week day/],
      ['0 0 * * 1#6', /week day/],
      ['0 0 32W * *', /day of month/],
      ['0 0 L-31 * *', /day of month/],
      ['0 0 * * 9L', /week day/],
      ['0 0 * foo *', /month/],
    ];
    for (const [expression, field] of cases) expect(cronProblem(expression)?.message, expression).toMatch(field);
  });

  it('refuses absurd steps, steps without a range, and tokens outside the syntax', () => {
    for (const expression of ['*/0 * * * *', '*/61 * * * *', '*/99999999999 * * * *', '0 */25 * * *', '5/10 * * * *', '*-5 * * * *', '1-2-3 * * * *', '0 0 * * L', '? * * * *', '0 0 1,,2 * *', '0 0 * * mon$', '0 0 15X * *']) {
      expect(cronProblem(expression), expression).not.toBeNull();
    }
  });

  it('refuses an over-long expression or field', () => {
    expect(cronProblem(`0 0 * * *${' '.repeat(200)}`)?.message).toMatch(/longer than 200/);
    expect(cronProblem(`${Array.from({ length: 60 }, () => '1').join(',')} * * * *`)?.message).toMatch(/longer than 100/);
  });

  it('accepts the whole syntax node-cron documents: lists, ranges, steps, names, ?, L, W and #', () => {
    for (const expression of [...EXPRESSIONS, '0 0 ? * ?', '0 0 * jan-jun/2 *', '0 0 * * SUN,Sat', '0 0 * * sunday', '0 0 LW,15W * *', '0 0 * * fril', '0 0 * * mon#1', '0 0 * * 7', '5-55/10 * * * *', '0 0 00 1 * *', '*/60 * * * *']) {
      expect(cronProblem(expression), expression).toBeNull();
    }
  });
});

describe('cronMinIntervalSeconds', () => {
  it('is the shortest gap between two ticks of a day, the one across midnight included', () => {
    expect(cronMinIntervalSeconds('* * * * * *')).toBe(1);
    expect(cronMinIntervalSeconds('*/7 * * * * *')).toBe(4); // :56 then :00 of the next minute
    expect(cronMinIntervalSeconds('*/5 * * * *')).toBe(300);
    expect(cronMinIntervalSeconds('0 * * * *')).toBe(3600);
    expect(cronMinIntervalSeconds('0 22-2 * * *')).toBe(3600);
    expect(cronMinIntervalSeconds('0 0,23 * * *')).toBe(3600);
    expect(cronMinIntervalSeconds('59 23 * * *')).toBe(86_400);
    expect(cronMinIntervalSeconds('0 0 0,1 * * *')).toBe(3600);
    expect(cronMinIntervalSeconds('0,30 * * * * *')).toBe(30);
  });

  it('ignores the day fields, so it never claims more room than a day allows', () => {
    expect(cronMinIntervalSeconds('0 9 * * 1#2')).toBe(86_400);
    expect(cronMinIntervalSeconds('0 9 L * *')).toBe(86_400);
  });
});

describe('canonicalTimezone', () => {
  it('accepts IANA names and returns their canonical spelling', () => {
    expect(canonicalTimezone('Europe/Paris')).toBe('Europe/Paris');
    expect(canonicalTimezone('america/new_york')).toBe('America/New_York');
    expect(canonicalTimezone('UTC')).toBe('UTC');
    expect(canonicalTimezone('Etc/GMT-1')).toBe('Etc/GMT-1');
  });

  it('refuses unknown names, offsets and junk', () => {
    for (const value of ['Mars/Olympus', '+01:00', 'UTC+1', '', ' Europe/Paris', 'Europe/Paris\n']) {
      expect(canonicalTimezone(value), JSON.stringify(value)).toBeNull();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { missedTickToCatchUp } from './catch-up';

const base = { cron: '0 2 * * *', timezone: 'UTC', catchUp: 'last' as const };

describe('missedTickToCatchUp', () => {
  it('picks only the most recent of several missed ticks', () => {
    const tick = missedTickToCatchUp(
      { ...base, lastFiredAt: new Date('2026-05-01T02:00:00Z'), updatedAt: new Date('2026-04-01T00:00:00Z') },
      new Date('2026-05-04T09:00:00Z'),
    );
    expect(tick?.toISOString()).toBe('2026-05-04T02:00:00.000Z');
  });

  it('catches up nothing when the last tick was handled', () => {
    const tick = missedTickToCatchUp(
      { ...base, lastFiredAt: new Date('2026-05-04T02:00:00Z'), updatedAt: new Date('2026-04-01T00:00:00Z') },
      new Date('2026-05-04T09:00:00Z'),
    );
    expect(tick).toBeNull();
  });

  it('counts a tick exactly at now as missed, since a task started now only fires later ticks', () => {
    const tick = missedTickToCatchUp(
      { ...base, lastFiredAt: new Date('2026-05-03T02:00:00Z'), updatedAt: new Date('2026-04-01T00:00:00Z') },
      new Date('2026-05-04T02:00:00.400Z'),
    );
    expect(tick?.toISOString()).toBe('2026-05-04T02:00:00.000Z');
  });

  it('does not catch up ticks from before the schedule was created or last edited', () => {
    const neverFired = { ...base, lastFiredAt: null };
    expect(missedTickToCatchUp({ ...neverFired, updatedAt: new Date('2026-05-04T03:00:00Z') }, new Date('2026-05-04T09:00:00Z'))).toBeNull();
    expect(missedTickToCatchUp({ ...neverFired, updatedAt: new Date('2026-05-03T03:00:00Z') }, new Date('2026-05-04T09:00:00Z'))?.toISOString()).toBe(
      '2026-05-04T02:00:00.000Z',
    );
    const editedAfterTick = { ...base, lastFiredAt: new Date('2026-05-01T02:00:00Z'), updatedAt: new Date('2026-05-04T02:00:00.250Z') };
    expect(missedTickToCatchUp(editedAfterTick, new Date('2026-05-04T09:00:00Z'))).toBeNull();
  });

  it('catches up nothing with catchUp none', () => {
    const tick = missedTickToCatchUp(
      { ...base, catchUp: 'none', lastFiredAt: new Date('2026-05-01T02:00:00Z'), updatedAt: new Date('2026-04-01T00:00:00Z') },
      new Date('2026-05-04T09:00:00Z'),
    );
    expect(tick).toBeNull();
  });

  it('reads the expression in the schedule time zone', () => {
    const tick = missedTickToCatchUp(
      { ...base, timezone: 'Asia/Tokyo', lastFiredAt: new Date('2026-05-01T17:00:00Z'), updatedAt: new Date('2026-04-01T00:00:00Z') },
      new Date('2026-05-04T09:00:00Z'),
    );
    // 02:00 in Tokyo on 4 May is 17:00 UTC on 3 May.
    expect(tick?.toISOString()).toBe('2026-05-03T17:00:00.000Z');
  });
});

import { describe, expect, it } from 'vitest';
import { followerCountOnDay, isPresentOnDay, leftByDay, presentSlotsFrom, slotChanges, slotCountOnDay } from './churn';

const presentSlots = (base: number, day: number) =>
  Array.from({ length: slotCountOnDay(base, day) }, (_, slot) => slot).filter((slot) => isPresentOnDay(base, slot, day));

describe('follower churn', () => {
  it('lists exactly the day-0 followers on day 0', () => {
    expect(presentSlots(95, 0)).toEqual(Array.from({ length: 95 }, (_, slot) => slot));
  });

  it('on day 1 drops slot 9 of every hundred and adds ceil(N/50) joiners', () => {
    expect(slotChanges(1_000, 0, 1)).toEqual({
      gained: Array.from({ length: 20 }, (_, index) => 1_000 + index),
      lost: [9, 109, 209, 309, 409, 509, 609, 709, 809, 909],
    });
  });

  it('agrees with a brute-force count for every size and day', () => {
    for (const base of [0, 1, 9, 10, 95, 99, 100, 101, 1_234]) {
      for (const day of [0, 1, 2, 9, 10, 11, 25]) {
        expect(followerCountOnDay(base, day)).toBe(presentSlots(base, day).length);
        expect(leftByDay(base, day)).toBe(presentSlots(base, 0).length + slotCountOnDay(base, day) - base - presentSlots(base, day).length);
      }
    }
  });

  it('never lets the count fall from one day to the next', () => {
    for (const base of [1, 10, 95, 1_000, 1_000_000]) {
      for (let day = 0; day < 30; day++) expect(followerCountOnDay(base, day + 1)).toBeGreaterThanOrEqual(followerCountOnDay(base, day));
    }
  });

  it('reports changes in either direction as mirror images', () => {
    const forward = slotChanges(500, 2, 7);
    expect(slotChanges(500, 7, 2)).toEqual({ gained: forward.lost, lost: forward.gained });
    const before = new Set(presentSlots(500, 2));
    const after = new Set(presentSlots(500, 7));
    expect(forward.gained).toEqual([...after].filter((slot) => !before.has(slot)));
    expect(forward.lost).toEqual([...before].filter((slot) => !after.has(slot)));
  });

  it('pages the present slots without gaps or repeats', () => {
    const seen: number[] = [];
    let from = 0;
    for (;;) {
      const page = presentSlotsFrom(1_234, from, 4, 30);
      seen.push(...page.slots);
      if (page.slots.length === 0) break;
      from = page.next;
    }
    expect(seen).toEqual(presentSlots(1_234, 4));
  });
});

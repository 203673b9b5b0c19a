/**
 * Follower churn by sandbox day, as plain arithmetic on follower slots so a test can compute exactly
 * who was gained and lost between two days, and a page is still O(page size) with no storage.
 *
 * A profile with `N` followers on day 0 has slots 0, 1, 2, …; slot `i` is always the same person
 * (`followerAt(owner, i)`). On day `d`:
 * - slot `i < N` is present unless it is a leaver (`i mod 10 = 9`) whose leave day
 *   `1 + (floor(i / 10) mod 10)` is `<= d`;
 * - slots `N … N + d·G − 1` are the joiners, with `G = ceil(N / 50)` new followers a day;
 * - the list is the present slots in ascending order, so day 0 is exactly the old list.
 *
 * Leavers make up a tenth of the day-0 followers and are spread over days 1 to 10; G is about 2 %
 * of N, so the count grows every day (N ≥ 1) and the day-0 survivors keep their order.
 */

/** Every tenth day-0 follower (slot `i mod 10 = 9`) eventually leaves. */
const LEAVER_EVERY = 10;
/** Leavers go over this many days, one block of ten slots in every ten each day. */
const LEAVE_DAYS = 10;
/** New followers a day: one per this many day-0 followers, rounded up. */
const JOIN_DIVISOR = 50;

export function joinersPerDay(baseFollowers: number): number {
  return Math.ceil(baseFollowers / JOIN_DIVISOR);
}

export function isLeaverSlot(slot: number): boolean {
  return slot % LEAVER_EVERY === LEAVER_EVERY - 1;
}

/** The day a leaver slot is gone from (it is still listed the day before). */
export function leaveDayOf(slot: number): number {
  return 1 + (Math.floor(slot / LEAVER_EVERY) % LEAVE_DAYS);
}

export function isPresentOnDay(baseFollowers: number, slot: number, day: number): boolean {
  if (slot < 0) return false;
  if (slot < baseFollowers) return !(isLeaverSlot(slot) && leaveDayOf(slot) <= day);
  return slot < baseFollowers + day * joinersPerDay(baseFollowers);
}

/** Slots ever listed up to `day`: day-0 followers plus every joiner so far. */
export function slotCountOnDay(baseFollowers: number, day: number): number {
  return baseFollowers + day * joinersPerDay(baseFollowers);
}

/** Day-0 followers gone by `day`: leaver blocks `b < floor(N/10)` with `b mod 10 < min(day, 10)`. */
export function leftByDay(baseFollowers: number, day: number): number {
  const blocks = Math.floor(baseFollowers / LEAVER_EVERY);
  const daysSoFar = Math.min(Math.max(day, 0), LEAVE_DAYS);
  return Math.floor(blocks / LEAVE_DAYS) * daysSoFar + Math.min(blocks % LEAVE_DAYS, daysSoFar);
}

export function followerCountOnDay(baseFollowers: number, day: number): number {
  return slotCountOnDay(baseFollowers, day) - leftByDay(baseFollowers, day);
}

/**
 * The first present slot at or after `from`, or null when none is left. Leavers are never adjacent
 * (one per ten slots), so the answer is `from` or `from + 1` or the first joiner.
 */
export function nextPresentSlot(baseFollowers: number, from: number, day: number): number | null {
  const end = slotCountOnDay(baseFollowers, day);
  for (let slot = Math.max(0, from); slot < end; slot++) {
    if (isPresentOnDay(baseFollowers, slot, day)) return slot;
  }
  return null;
}

/** Up to `count` present slots from `from` on, ascending; `next` is where the following page starts. */
export function presentSlotsFrom(baseFollowers: number, from: number, day: number, count: number): { slots: number[]; next: number } {
  const end = slotCountOnDay(baseFollowers, day);
  const slots: number[] = [];
  let slot = Math.max(0, from);
  for (; slot < end && slots.length < count; slot++) {
    if (isPresentOnDay(baseFollowers, slot, day)) slots.push(slot);
  }
  return { slots, next: slot };
}

/**
 * Slots listed on `toDay` but not on `fromDay` (gained) and the reverse (lost), ascending. Works in
 * either direction and touches only leaver and joiner slots, so it stays cheap for a million followers.
 */
export function slotChanges(baseFollowers: number, fromDay: number, toDay: number): { gained: number[]; lost: number[] } {
  const gained: number[] = [];
  const lost: number[] = [];
  for (let slot = LEAVER_EVERY - 1; slot < baseFollowers; slot += LEAVER_EVERY) {
    const before = isPresentOnDay(baseFollowers, slot, fromDay);
    const after = isPresentOnDay(baseFollowers, slot, toDay);
    if (before && !after) lost.push(slot);
    else if (!before && after) gained.push(slot);
  }
  const fromEnd = slotCountOnDay(baseFollowers, fromDay);
  const toEnd = slotCountOnDay(baseFollowers, toDay);
  for (let slot = Math.min(fromEnd, toEnd); slot < Math.max(fromEnd, toEnd); slot++) {
    (toEnd > fromEnd ? gained : lost).push(slot);
  }
  return { gained, lost };
}

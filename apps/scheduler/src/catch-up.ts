import type { EnabledSchedule } from '@pubcrawl/db';
import { compileCron } from '@pubcrawl/scheduling';

/**
 * The tick a starting scheduler must catch up for one schedule, or null.
 *
 * `catchUp: last` runs only the most recent tick missed, however many were: a nightly crawl that
 * missed three nights needs today's data once, not three crawls of today's data. A tick counts as
 * missed when it is later than both
 * - `last_fired_at`, the last tick some replica handled (its claim commits in the same transaction),
 * - `updated_at`, the last edit: ticks before an edit (or before a re-enable) belonged to the old
 *   definition, or to a schedule that was switched off on purpose.
 *
 * Several replicas starting together compute the same tick, and the run's unique (schedule, fire
 * time) claim lets one of them through.
 */
export function missedTickToCatchUp(
  schedule: Pick<EnabledSchedule, 'cron' | 'timezone' | 'catchUp' | 'lastFiredAt' | 'updatedAt'>,
  now: Date,
): Date | null {
  if (schedule.catchUp !== 'last') return null;
  const latest = compileCron(schedule.cron, schedule.timezone).previous(now);
  if (!latest) return null;
  const handledUntil = Math.max(schedule.lastFiredAt?.getTime() ?? 0, schedule.updatedAt.getTime());
  return latest.getTime() > handledUntil ? latest : null;
}

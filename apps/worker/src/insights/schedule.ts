import { z } from 'zod';

/** One offset of POST_METRICS_SCHEDULE: its label (the job id and API name it) and its length. */
export interface MetricOffset {
  label: string;
  ms: number;
}

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** `30s`, `15m`, `6h`, `7d`: what an operator writes; the label is kept as written. */
const OFFSET = /^([1-9][0-9]{0,5})([smhd])$/;

/**
 * POST_METRICS_SCHEDULE (default `1h,6h,24h,72h,7d`): comma-separated offsets after publishing.
 * Labels are unique and short, because each names a job (`metrics-<post>-<label>`) and an offset row.
 */
export const metricScheduleSchema = z
  .string()
  .default('1h,6h,24h,72h,7d')
  .transform((value, context): MetricOffset[] => {
    const offsets: MetricOffset[] = [];
    for (const part of value.split(',').map((item) => item.trim()).filter((item) => item.length > 0)) {
      const match = OFFSET.exec(part);
      const unit = match?.[2] as keyof typeof UNIT_MS | undefined;
      if (match === null || unit === undefined) {
        context.addIssue({ code: 'custom', message: `"${part}" is not an offset like 30s, 15m, 6h or 7d` });
        return z.NEVER;
      }
      if (offsets.some((offset) => offset.label === part)) {
        context.addIssue({ code: 'custom', message: `"${part}" is listed twice` });
        return z.NEVER;
      }
      offsets.push({ label: part, ms: Number(match[1]) * UNIT_MS[unit] });
    }
    return offsets.sort((a, b) => a.ms - b.ms);
  });

/** TikTok's video id in a public URL (`https://www.tiktok.com/@user/video/<id>`), or null. */
export function videoIdOf(publicUrl: string | null): string | null {
  if (publicUrl === null) return null;
  return /\/video\/(\d+)/.exec(publicUrl)?.[1] ?? null;
}

import { describe, expect, it } from 'vitest';
import { ALL_QUEUE_NAMES, JOB_CATALOG, crawlJobSchema, publishJobSchema } from '../src/index';

describe('the job catalog', () => {
  it('defines every queue once, under its own name, with attempts and a backoff', () => {
    for (const name of ALL_QUEUE_NAMES) {
      const definition = JOB_CATALOG[name];
      expect(definition.queue).toBe(name);
      expect(definition.attempts).toBeGreaterThan(0);
      expect(definition.backoffMs).toBeGreaterThan(0);
    }
    expect(Object.keys(JOB_CATALOG).sort()).toEqual([...ALL_QUEUE_NAMES].sort());
  });

  it('refuses a payload without the generation its row had, so a stale job cannot act', () => {
    const postId = '6f1c2b8e-0000-4000-8000-000000000000';
    expect(publishJobSchema.safeParse({ postId }).success).toBe(false);
    expect(publishJobSchema.safeParse({ postId, generation: 2 }).success).toBe(true);
    expect(crawlJobSchema.safeParse({ crawlId: postId, generation: 0 }).success).toBe(false);
    expect(crawlJobSchema.safeParse({ crawlId: postId, generation: 0, segment: 50 }).success).toBe(true);
  });
});

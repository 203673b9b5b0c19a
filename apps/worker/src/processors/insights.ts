import type { WorkerContext } from '../context';
import { verifyUnconfirmed } from '../insights/feed-check';
import { takePostMetricSnapshot } from '../insights/post-metrics';
import type { Processor } from './index';

/**
 * What follows a post once it is out: a stats snapshot at one POST_METRICS_SCHEDULE offset, or an
 * unconfirmed post looked for in its account's public feed. Both only read from TikTok.
 */
export function createInsightsProcessor(context: WorkerContext): Processor<'insights'> {
  return async (run) => {
    const { payload } = run;
    switch (payload.kind) {
      case 'post_metrics':
        return takePostMetricSnapshot(context, { postId: payload.postId, offset: payload.offset, isLastAttempt: run.isLastAttempt });
      case 'verify_unconfirmed':
        return verifyUnconfirmed(context, { postId: payload.postId, generation: payload.generation, starts: run.starts });
    }
  };
}

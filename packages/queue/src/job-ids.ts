/**
 * Job ids derived from row ids make enqueueing idempotent: BullMQ ignores an `add` whose id
 * already exists, so the API, a retried request and the reconciler can all enqueue the same row.
 * BullMQ forbids ':' in custom ids (it is its key separator), hence the dashes.
 */
export const jobIds = {
  /** Suffixed with the post's generation by enqueuePublish. */
  publish: (postId: string) => `publish-${postId}`,
  /** One poll chain per post and generation (an operator's retry starts a new generation). */
  publishStatus: (postId: string, generation: number) => `status-${postId}-${generation}`,
  webhook: (deliveryId: string) => `webhook-${deliveryId}`,
  /** One poll chain per QR link attempt: the job reschedules itself until the link is final. */
  accountLink: (linkId: string) => `link-${linkId}`,
  postMetrics: (postId: string, offset: string) => `metrics-${postId}-${offset}`,
  verifyUnconfirmed: (postId: string, generation: number) => `verify-${postId}-${generation}`,
};

import { postRequestSchema } from '@pubcrawl/contracts';
import type { PostRow } from '@pubcrawl/db';

export type FeedVisibility = { visible: true; caption: string } | { visible: false; reason: string };

/** What the feed shows as the caption: whitespace runs collapse, as TikTok's rendering does. */
export function normaliseCaption(text: string): string {
  return text.normalize('NFC').replace(/\s+/gu, ' ').trim();
}

/**
 * Whether the public feed could show this post, and the caption to recognise it by. A post not
 * public to everyone, or sent as a draft (to the creator's inbox), is never listed, so a missing
 * entry would prove nothing about it.
 */
export function feedVisibility(post: Pick<PostRow, 'request'>): FeedVisibility {
  const parsed = postRequestSchema.safeParse(post.request);
  if (!parsed.success) return { visible: false, reason: 'it is a tracked publish, with no request of ours to recognise it by' };
  const { settings, content, photoTitle } = parsed.data;
  if (settings.draft === true) return { visible: false, reason: "it was sent as a draft, to the creator's inbox" };
  if (settings.privacyLevel !== 'PUBLIC_TO_EVERYONE') return { visible: false, reason: `its privacy level ${settings.privacyLevel} keeps it out of the public feed` };
  const caption = normaliseCaption(content.length > 0 ? content : (photoTitle ?? ''));
  if (caption === '') return { visible: false, reason: 'it has no caption to recognise it by' };
  return { visible: true, caption };
}

import { generatedPostCount, publishedVideo, userPostAt, type Profile, type PublishedVideo, type Video } from './data';

/**
 * A user's `/public/posts` feed on a sandbox day: the sandbox's own public publishes to that
 * username, then (for `user_N`) its generated posts, newest first. Feeds are small (a few hundred
 * posts at most), so a page is cut from the whole list rather than computed by index.
 */
interface FeedEntry {
  /** Epoch ms, strictly decreasing along the feed; the page cursor is the key of a page's last item. */
  key: number;
  video: Video;
}

function feedEntries(profile: Profile, day: number, published: readonly PublishedVideo[]): FeedEntry[] {
  if (profile.privateAccount) return [];
  const entries: FeedEntry[] = published.map((item) => ({ key: item.createTimeMs, video: publishedVideo(profile, item, day) }));
  const n = profile.postsOf;
  if (n !== null) {
    for (let index = generatedPostCount(profile, day) - 1; index >= 0; index--) {
      const video = userPostAt(profile, n, index, day);
      entries.push({ key: video.createTime * 1000, video });
    }
  }
  return entries.sort((a, b) => b.key - a.key);
}

export interface FeedPage {
  itemList: Video[];
  /** Digits, as TikAPI sends it and the official SDK insists on (`^[0-9]+$`); "0" on an empty feed. */
  cursor: string;
  hasMore: boolean;
}

/**
 * Items strictly older than `cursor` (null: from the newest). Keying on time rather than an offset
 * means a publish that lands between two page requests does not shift the rest of the list.
 */
export function feedPage(profile: Profile, day: number, published: readonly PublishedVideo[], cursor: number | null, count: number): FeedPage {
  const entries = feedEntries(profile, day, published);
  const start = cursor === null ? 0 : entries.findIndex((entry) => entry.key < cursor);
  const from = start === -1 ? entries.length : start;
  const page = entries.slice(from, from + count);
  const last = page.at(-1);
  return {
    itemList: page.map((entry) => entry.video),
    cursor: last === undefined ? String(cursor ?? 0) : String(last.key),
    hasMore: from + page.length < entries.length,
  };
}

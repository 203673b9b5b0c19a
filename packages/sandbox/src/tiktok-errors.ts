/**
 * TikTok status codes TikAPI forwards in 403 bodies, with TikAPI's wording (seed doc, "Other TikTok
 * Errors"). The sandbox answers `err_<code>` usernames and hashtag names with exactly these.
 */
export const TIKTOK_ERROR_MESSAGES: ReadonlyMap<number, string> = new Map([
  [2054, 'Video is unavailable or deleted.'],
  [2752, 'Ad video is unavailable.'],
  [10000, 'TikTok Captcha Error'],
  [10101, 'TikTok Server Error'],
  [10102, 'User not logged-in'],
  [10111, 'TikTok Network Error'],
  [10113, 'TikTok blocked resource'],
  [10114, 'TikTok blocked resource'],
  [10119, 'User not logged-in for Live'],
  [10202, "User doesn't exist"],
  [10203, "Music doesn't exist"],
  [10204, "Video doesn't exist"],
  [10205, "Hashtag doesn't exist"],
  [10208, "Effect doesn't exist"],
  [10209, 'Hashtag is blacklisted'],
  [10210, "Live doesn't exist"],
  [10211, 'Hashtag is sensitive'],
  [10212, 'Hashtag error'],
  [10215, 'Video is currently unavailable'],
  [10216, 'Video is private'],
  [10217, 'Video is currently unavailable'],
  [10218, 'Music error'],
  [10219, 'Music copyright error'],
  [10220, 'Video music error'],
  [10221, 'User is banned'],
  [10223, 'User error'],
  [10224, "Entity doesn't exist"],
  [10225, 'User unique sensitivity'],
  [10227, 'Video is under review'],
  [10228, 'Video is under risk control'],
  [10229, 'Video is hidden'],
  [10230, 'Video is under risk control'],
  [10231, 'Video is not visible on your country'],
  [10241, 'Video is deleted.'],
  [10242, 'This video has restricted access'],
  [10404, 'List limit reached'],
]);

export const USER_NOT_FOUND = 10202;
export const HASHTAG_NOT_FOUND = 10205;
export const VIDEO_NOT_FOUND = 10204;
/** What TikAPI answers for a video only its author (or friends) may see. */
export const VIDEO_PRIVATE = 10216;

/** `err_10000` → 10000 when the code is in the table; anything else is not a magic error name. */
export function magicErrorCode(name: string): number | null {
  const match = /^err_(\d{1,6})$/.exec(name);
  if (match?.[1] === undefined) return null;
  const code = Number(match[1]);
  return TIKTOK_ERROR_MESSAGES.has(code) ? code : null;
}

export function tiktokErrorMessage(code: number): string {
  return TIKTOK_ERROR_MESSAGES.get(code) ?? 'Something went wrong.';
}

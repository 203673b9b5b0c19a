/**
 * What a creator's settings allow, as the provider's creator_info says, and whether a post's
 * settings stay inside them. The posting API: "the privacy level must maintain or restrict the
 * user's account settings". Shared by the API (refuse at create/edit) and the worker (re-check just
 * before sending), so both refuse exactly the same posts.
 */
export interface CreatorPermissions {
  /** Absent when the provider did not say: then any level passes and the provider decides. */
  privacyLevelOptions?: readonly string[] | undefined;
  commentDisabled?: boolean | undefined;
  duetDisabled?: boolean | undefined;
  stitchDisabled?: boolean | undefined;
  /** The longest video the creator may post, in seconds. */
  maxVideoPostDurationSec?: number | undefined;
}

export interface CheckedPostSettings {
  privacyLevel: string;
  allowComment: boolean;
  allowDuet?: boolean | undefined;
  allowStitch?: boolean | undefined;
  draft?: boolean | undefined;
  /** The video's length when the client knows it; pubcrawl does not probe media. */
  videoDurationSec?: number | undefined;
}

export interface CreatorSettingsMismatch {
  /** Where the offending value sits in a post body, e.g. `settings.privacyLevel`. */
  field: string;
  message: string;
}

export function creatorSettingsMismatches(settings: CheckedPostSettings, mediaType: 'video' | 'photo', permissions: CreatorPermissions): CreatorSettingsMismatch[] {
  const mismatches: CreatorSettingsMismatch[] = [];
  const longest = permissions.maxVideoPostDurationSec;
  // Checked for drafts too: TikTok refuses a video longer than the creator may post either way.
  if (mediaType === 'video' && settings.videoDurationSec !== undefined && longest !== undefined && longest > 0 && settings.videoDurationSec > longest) {
    mismatches.push({ field: 'settings.videoDurationSec', message: `the video is ${settings.videoDurationSec} s; this creator may post videos of at most ${longest} s` });
  }
  // A video sent to the inbox carries none of the rest: the creator sets them in the app (seed 004).
  if (settings.draft === true && mediaType === 'video') return mismatches;
  const options = permissions.privacyLevelOptions;
  if (options !== undefined && !options.includes(settings.privacyLevel)) {
    mismatches.push({ field: 'settings.privacyLevel', message: `${settings.privacyLevel} is not allowed for this account; allowed: ${options.join(', ') || 'none'}` });
  }
  if (settings.allowComment && permissions.commentDisabled === true) {
    mismatches.push({ field: 'settings.allowComment', message: 'the creator has disabled comments; set allowComment to false' });
  }
  if (mediaType === 'video' && settings.allowDuet === true && permissions.duetDisabled === true) {
    mismatches.push({ field: 'settings.allowDuet', message: 'the creator has disabled duets; set allowDuet to false' });
  }
  if (mediaType === 'video' && settings.allowStitch === true && permissions.stitchDisabled === true) {
    mismatches.push({ field: 'settings.allowStitch', message: 'the creator has disabled stitches; set allowStitch to false' });
  }
  return mismatches;
}

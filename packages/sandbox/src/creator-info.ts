import { z } from 'zod';
import { PRIVACY_LEVELS } from './posting-validation';

export type PrivacyLevel = (typeof PRIVACY_LEVELS)[number];

/** The part of creator-info a creator controls in the TikTok app, and so the part tests change. */
export interface CreatorSettings {
  privacy_level_options: PrivacyLevel[];
  comment_disabled: boolean;
  duet_disabled: boolean;
  stitch_disabled: boolean;
}

export function defaultCreatorSettings(): CreatorSettings {
  return { privacy_level_options: [...PRIVACY_LEVELS], comment_disabled: false, duet_disabled: false, stitch_disabled: false };
}

/** `PUT /__sandbox/creator-info/:accountId`; any subset, merged over the defaults. */
export const creatorSettingsPatchSchema = z.strictObject(
  {
    privacy_level_options: z
      .array(z.enum(PRIVACY_LEVELS, { error: `must be one of ${PRIVACY_LEVELS.join(', ')}` }), {
        error: 'privacy_level_options must be an array of privacy levels',
      })
      // TikTok always leaves at least SELF_ONLY; an empty list would describe an account nobody can post from.
      .min(1, 'privacy_level_options must list at least one level')
      .refine((levels) => new Set(levels).size === levels.length, 'privacy_level_options must not repeat a level'),
    comment_disabled: z.boolean({ error: 'comment_disabled must be a boolean' }),
    duet_disabled: z.boolean({ error: 'duet_disabled must be a boolean' }),
    stitch_disabled: z.boolean({ error: 'stitch_disabled must be a boolean' }),
  },
  { error: 'the body must be an object' },
).partial();
export type CreatorSettingsPatch = z.infer<typeof creatorSettingsPatchSchema>;

/** Per-account overrides; an account without one gets the defaults. */
export class CreatorSettingsStore {
  private readonly overrides = new Map<string, CreatorSettings>();

  /** Replaces the account's override with the defaults plus `patch`, so each PUT says it all. */
  set(accountId: string, patch: CreatorSettingsPatch): CreatorSettings {
    const settings: CreatorSettings = { ...defaultCreatorSettings() };
    if (patch.privacy_level_options !== undefined) settings.privacy_level_options = [...patch.privacy_level_options];
    if (patch.comment_disabled !== undefined) settings.comment_disabled = patch.comment_disabled;
    if (patch.duet_disabled !== undefined) settings.duet_disabled = patch.duet_disabled;
    if (patch.stitch_disabled !== undefined) settings.stitch_disabled = patch.stitch_disabled;
    this.overrides.set(accountId, settings);
    return this.get(accountId);
  }

  get(accountId: string): CreatorSettings {
    const settings = this.overrides.get(accountId) ?? defaultCreatorSettings();
    return { ...settings, privacy_level_options: [...settings.privacy_level_options] };
  }

  clear(): void {
    this.overrides.clear();
  }
}

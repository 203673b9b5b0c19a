import { describe, expect, it } from 'vitest';
import { FAIL_REASON, PublishStore, publishContentHash, type PublishRecord } from './publish-lifecycle';

function storeAt(start: number) {
  const clock = { now: start };
  return { clock, store: new PublishStore(() => clock.now) };
}

const video = (overrides: Partial<Omit<PublishRecord, 'publishId' | 'createdAt' | 'submittedAtMs' | 'videoId'>> = {}) => ({
  accountId: 'acct_1',
  username: 'user_1',
  caption: 'Sandbox video #fyp',
  privacyLevel: 'PUBLIC_TO_EVERYONE' as const,
  day: 0,
  mediaType: 'video' as const,
  draft: false,
  failReason: null,
  durationMs: 300,
  sizeBytes: 3_000,
  ...overrides,
});

describe('PublishStore.statusOf', () => {
  it('moves through upload and download thirds, then completes', () => {
    const { clock, store } = storeAt(1_000);
    const record = store.create(video());
    expect(store.statusOf(record)).toMatchObject({ status: 'PROCESSING_UPLOAD', uploaded_bytes: 0 });
    clock.now += 50;
    expect(store.statusOf(record)).toMatchObject({ status: 'PROCESSING_UPLOAD', uploaded_bytes: 1_500 });
    clock.now += 50;
    expect(store.statusOf(record).status).toBe('PROCESSING_DOWNLOAD');
    clock.now += 99;
    expect(store.statusOf(record).status).toBe('PROCESSING_DOWNLOAD');
    clock.now += 1;
    const done = store.statusOf(record);
    expect(done.status).toBe('PUBLISH_COMPLETE');
    expect(done.public_post_url).toMatch(/^https:\/\/www\.tiktok\.com\/@user_1\/video\/\d{19}$/);
    expect(store.statusOf(record)).toEqual(done);
  });

  it('ends drafts in the inbox and failing media in FAILED', () => {
    const { clock, store } = storeAt(0);
    const draft = store.create(video({ draft: true }));
    const failing = store.create(video({ failReason: FAIL_REASON }));
    clock.now = 300;
    expect(store.statusOf(draft).status).toBe('SEND_TO_USER_INBOX');
    expect(store.statusOf(failing)).toEqual({ publish_id: failing.publishId, status: 'FAILED', fail_reason: FAIL_REASON });
  });

  it('finishes at once when the duration is zero', () => {
    const { store } = storeAt(0);
    expect(store.statusOf(store.create(video({ durationMs: 0 }))).status).toBe('PUBLISH_COMPLETE');
  });

  it('finds a publish only for the account that made it', () => {
    const { store } = storeAt(0);
    const record = store.create(video());
    expect(store.find('acct_1', record.publishId)).toBe(record);
    expect(store.find('acct_2', record.publishId)).toBeNull();
    store.clear();
    expect(store.find('acct_1', record.publishId)).toBeNull();
    expect(store.create(video()).publishId).not.toBe(record.publishId);
  });
});

describe('publishContentHash', () => {
  it('treats absent text as empty and is sensitive to every field', () => {
    const base = { accountId: 'a', mediaUrls: ['https://x.test/v.mp4'] };
    expect(publishContentHash(base)).toBe(publishContentHash({ ...base, content: '', photoTitle: '' }));
    expect(publishContentHash(base)).toMatch(/^[0-9a-f]{64}$/);
    expect(publishContentHash({ ...base, content: 'x' })).not.toBe(publishContentHash(base));
    expect(publishContentHash({ ...base, accountId: 'b' })).not.toBe(publishContentHash(base));
    expect(publishContentHash({ ...base, mediaUrls: ['https://x.test/w.mp4'] })).not.toBe(publishContentHash(base));
  });
});

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '@pubcrawl/sandbox';
import {
  Ambiguous,
  DailyCapReached,
  Permanent,
  PostingClient,
  RateLimited,
  SubscriptionRequired,
  Transient,
  classifyPostingError,
} from '../src/index';
import { failure } from './failure';

/**
 * The posting client against the sandbox twin of seed 004: QR login, the account list,
 * creator-info and the daily cap. The sandbox's clock is moved by hand, so expiry is time travel.
 */

const API_KEY = 'sk_contract_test_secret';

let clockMs = 0;
let sandbox: RunningSandbox;
let posting: PostingClient;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, host: '127.0.0.1', now: () => clockMs });
  posting = new PostingClient({ baseUrl: sandbox.url, apiKey: API_KEY });
});

beforeEach(() => {
  sandbox.reset();
  clockMs = 0;
});

afterAll(async () => {
  await posting.close();
  await sandbox.close();
});

async function admin(method: 'POST' | 'PUT', path: string, body: unknown = {}): Promise<unknown> {
  const response = await fetch(`${sandbox.url}/__sandbox${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
  return response.json();
}

const video = (accountId: string, content: string) => ({
  accountId,
  content,
  mediaItems: [{ url: 'https://cdn.example.com/clip.mp4' }],
  tiktokSettings: { privacy_level: 'SELF_ONLY' as const, allow_comment: true, allow_duet: false, allow_stitch: false },
});

describe('QR login', () => {
  it('requests a code with our unique_id, or the provider’s own when we send none', async () => {
    const ours = await posting.requestQrLogin('pubcrawl_link_0001');
    expect(ours).toEqual({
      token: expect.stringMatching(/^[A-Z0-9]{32}$/),
      uniqueId: 'pubcrawl_link_0001',
      qrCodeImage: expect.stringMatching(/^data:image\/png;base64,/),
      expiresInS: 300,
      raw: expect.objectContaining({ success: true }),
    });
    const theirs = await posting.requestQrLogin();
    expect(theirs.uniqueId.length).toBeGreaterThanOrEqual(8);
    expect(theirs.token).not.toBe(ours.token);
  });

  it('reports new, scanned, confirmed with the account once, then utilised', async () => {
    const { token } = await posting.requestQrLogin('pubcrawl_link_0002');
    expect(await posting.checkQrLogin(token)).toEqual({ status: 'new', uniqueId: 'pubcrawl_link_0002', raw: expect.anything() });

    await admin('POST', `/qr/${token}/scan`);
    expect((await posting.checkQrLogin(token)).status).toBe('scanned');

    await admin('POST', `/qr/${token}/confirm`, { accountId: 'acct_2024', username: 'creator_username', display_name: 'Creator Name' });
    const confirmed = await posting.checkQrLogin(token);
    expect(confirmed).toMatchObject({ status: 'confirmed', uniqueId: 'pubcrawl_link_0002', account: { accountId: 'acct_2024', username: 'creator_username', displayName: 'Creator Name' } });

    const used = await posting.checkQrLogin(token);
    expect(used).toMatchObject({ status: 'utilised', message: 'QR code has already been used.' });
    expect(used.account).toBeUndefined();

    // The provider lists the linked account from the confirm on.
    const { accounts } = await posting.listAccounts();
    expect(accounts).toContainEqual(expect.objectContaining({ accountId: 'acct_2024', username: 'creator_username', display_name: 'Creator Name' }));
  });

  it('reports expired once the code outlives expiresIn, and after an explicit expire', async () => {
    const timed = await posting.requestQrLogin();
    clockMs += timed.expiresInS * 1000;
    expect((await posting.checkQrLogin(timed.token)).status).toBe('expired');

    const expired = await posting.requestQrLogin();
    await admin('POST', `/qr/${expired.token}/expire`);
    expect((await posting.checkQrLogin(expired.token)).status).toBe('expired');
    expect((await posting.listAccounts()).accounts).toHaveLength(3);
  });

  it('makes a check whose answer never came Ambiguous (it may have used the code up), and a lost request Transient', async () => {
    const { token } = await posting.requestQrLogin();
    const impatient = new PostingClient({ baseUrl: sandbox.url, apiKey: API_KEY, timeoutMs: 300 });
    try {
      sandbox.configure({ hangRate: 1, hangMs: 5_000 });
      expect(await failure(impatient.checkQrLogin(token))).toBeInstanceOf(Ambiguous);
      expect(await failure(impatient.requestQrLogin())).toBeInstanceOf(Transient);
    } finally {
      await impatient.close();
    }
  });

  it('makes an unknown token a Permanent not_found', async () => {
    const error = await failure(posting.checkQrLogin('NOSUCHTOKEN'));
    expect(error).toBeInstanceOf(Permanent);
    expect(error).toMatchObject({ httpStatus: 404, code: 'not_found', endpoint: 'POST /api/content/qr-login/check' });
  });

  it('refuses a unique_id under 8 characters before sending it', async () => {
    const error = await failure(posting.requestQrLogin('short'));
    expect(error).toMatchObject({ kind: 'Permanent', code: 'invalid_body' });
    expect(sandbox.stats().requests.byEndpoint['POST /api/content/qr-login/request']).toBeUndefined();
  });

  it('turns the 403 for plans without QR login into SubscriptionRequired with the provider’s message', async () => {
    sandbox.configure({ subscription: 'pro' });
    const error = await failure(posting.requestQrLogin('pubcrawl_link_0003'));
    expect(error).toBeInstanceOf(SubscriptionRequired);
    expect(error).toBeInstanceOf(Permanent);
    expect(error).toMatchObject({
      name: 'SubscriptionRequired',
      kind: 'Permanent',
      httpStatus: 403,
      code: 'subscription_required',
      subscription: 'pro',
      providerMessage: 'QR Code login is only available for Maximum subscription',
    });
    expect(error.message).not.toContain(API_KEY);
    expect((await posting.listAccounts()).subscription).toBe('pro');
  });
});

describe('the daily post cap', () => {
  it('turns spam_risk_too_many_posts into DailyCapReached for that account alone, with nothing published', async () => {
    sandbox.configure({ dailyPostCap: 2 });
    await posting.createPost(video('acct_31', 'one'));
    await posting.createPost(video('acct_31', 'two'));

    const error = await failure(posting.createPost(video('acct_31', 'three')));
    expect(error).toBeInstanceOf(DailyCapReached);
    expect(error).toMatchObject({ kind: 'DailyCapReached', httpStatus: 403, code: 'spam_risk_too_many_posts', endpoint: 'POST /api/content/post' });
    for (const other of [Ambiguous, Transient, Permanent, RateLimited]) expect(error).not.toBeInstanceOf(other);
    expect(sandbox.stats().publishes.filter((entry) => entry.accountId === 'acct_31')).toHaveLength(2);

    await expect(posting.createPost(video('acct_32', 'one'))).resolves.toMatchObject({ mediaType: 'video' });

    sandbox.configure({ day: 1 });
    await expect(posting.createPost(video('acct_31', 'three'))).resolves.toMatchObject({ mediaType: 'video' });
  });

  it('classifies the code as DailyCapReached whatever the status, even on a non-idempotent call', () => {
    const body = { success: false, error: 'too many posts', code: 'spam_risk_too_many_posts' };
    for (const status of [400, 403, 429, 500, 504]) {
      expect(classifyPostingError(status, body, {}, { idempotent: false }), `HTTP ${status}`).toBeInstanceOf(DailyCapReached);
    }
    // Without the code a 403 stays Permanent, and without `subscription` it is not a plan refusal.
    expect(classifyPostingError(403, { success: false, error: 'nope', code: 'forbidden' })).toMatchObject({ kind: 'Permanent', name: 'Permanent' });
  });
});

describe('creator-info', () => {
  it('returns the privacy options and interaction switches the creator set', async () => {
    const before = await posting.getCreatorInfo('acct_41');
    expect(before.info).toMatchObject({
      privacy_level_options: ['PUBLIC_TO_EVERYONE', 'MUTUAL_FOLLOW_FRIENDS', 'FOLLOWER_OF_CREATOR', 'SELF_ONLY'],
      comment_disabled: false,
      duet_disabled: false,
      stitch_disabled: false,
    });

    await admin('PUT', '/creator-info/acct_41', { privacy_level_options: ['FOLLOWER_OF_CREATOR', 'SELF_ONLY'], comment_disabled: true, stitch_disabled: true });
    const after = await posting.getCreatorInfo('acct_41');
    expect(after.info).toMatchObject({
      creator_username: 'user_41',
      privacy_level_options: ['FOLLOWER_OF_CREATOR', 'SELF_ONLY'],
      comment_disabled: true,
      duet_disabled: false,
      stitch_disabled: true,
    });
    expect((await posting.getCreatorInfo('acct_42')).info.comment_disabled).toBe(false);
  });
});

describe('the account list', () => {
  it('parses avatar and counts on the default accounts, and the plan', async () => {
    const { accounts, subscription } = await posting.listAccounts();
    expect(subscription).toBe('maximum');
    expect(accounts.map((account) => account.accountId)).toEqual(['acct_100', 'acct_1000', 'acct_100000']);
    expect(accounts[0]).toMatchObject({
      username: 'user_100',
      avatar_url: expect.stringMatching(/^https:\/\//),
      followers: 100,
      following: expect.any(Number),
      likes: expect.any(Number),
      videos: expect.any(Number),
    });
  });

  it('lists exactly what the provider lists, entries with only the required fields included', async () => {
    await admin('PUT', '/provider-accounts', [
      { accountId: 'aada5586-0000-4000-a000-000000000001', display_name: 'Account 1', username: 'account_1', avatar_url: 'https://cdn.example.com/a.jpg', followers: 1500, following: 300, likes: 12500, videos: 42, bio_description: 'My awesome bio', is_verified: true },
      { accountId: '8abd72f0-0000-4000-a000-000000000002', display_name: 'Account 2', username: 'account_2' },
    ]);
    const { accounts } = await posting.listAccounts();
    expect(accounts).toEqual([
      { accountId: 'aada5586-0000-4000-a000-000000000001', display_name: 'Account 1', username: 'account_1', avatar_url: 'https://cdn.example.com/a.jpg', followers: 1500, following: 300, likes: 12500, videos: 42, bio_description: 'My awesome bio', is_verified: true },
      { accountId: '8abd72f0-0000-4000-a000-000000000002', display_name: 'Account 2', username: 'account_2' },
    ]);
  });
});

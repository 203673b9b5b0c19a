import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../src/index';
import { API_KEY, client, videoPost, type Api } from './helpers';
import type { PostResponse, PostingError, TikapiError } from './wire';

let sandbox: RunningSandbox;
let api: Api;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, config: { quotaPerSecond: 0 } });
  api = client(sandbox);
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.reset());

const TOKEN_INVALID = {
  success: false,
  error: 'The access token is invalid or has expired. Re-authorize the account.',
  code: 'access_token_invalid',
};

describe('expired account sessions', () => {
  it('answers 428 on /user/followers and 401 access_token_invalid on posting, until restored', async () => {
    const followers = () => api.get<TikapiError>('/user/followers', { 'X-API-KEY': API_KEY, 'X-ACCOUNT-KEY': 'acct_9' });
    const post = () => api.post<PostResponse | PostingError>('/api/content/post', videoPost({ accountId: 'acct_9' }));
    const creatorInfo = () => api.get<PostingError>('/api/content/creator-info/acct_9', { 'X-API-Key': API_KEY });

    const before = await post();
    expect(before.status).toBe(200);
    const publishId = (before.body as PostResponse).data.publish_id;
    const status = () => api.get<PostingError>(`/api/content/status/acct_9/${encodeURIComponent(publishId)}`, { 'X-API-Key': API_KEY });

    sandbox.expireAccount('acct_9');
    const expired = await followers();
    expect(expired.status).toBe(428);
    expect(expired.body).toEqual({
      status: 'error',
      message: 'Account session expired, please ask user to re-login and re-authorize.',
      statusCode: 8,
    });
    for (const call of [post, creatorInfo, status]) {
      const response = await call();
      expect(response.status).toBe(401);
      expect(response.body).toEqual(TOKEN_INVALID);
    }

    sandbox.restoreAccount('acct_9');
    expect((await followers()).status).toBe(200);
    expect((await post()).status).toBe(200);
    expect((await creatorInfo()).status).toBe(200);
    expect((await status()).status).toBe(200);
  });

  it('can be driven through the admin API, leaving other accounts alone', async () => {
    const expire = await api.post<{ key: string; expired: boolean }>('/__sandbox/accounts/acct_3/expire', undefined, {});
    expect(expire.body).toEqual({ key: 'acct_3', expired: true });
    const other = await api.get<TikapiError>('/user/followers', { 'X-API-KEY': API_KEY, 'X-ACCOUNT-KEY': 'acct_4' });
    expect(other.status).toBe(200);
    const expired = await api.get<TikapiError>('/user/followers', { 'X-API-KEY': API_KEY, 'X-ACCOUNT-KEY': 'acct_3' });
    expect(expired.status).toBe(428);

    const restore = await api.post<{ key: string; expired: boolean }>('/__sandbox/accounts/acct_3/restore', undefined, {});
    expect(restore.body).toEqual({ key: 'acct_3', expired: false });
    const restored = await api.get<TikapiError>('/user/followers', { 'X-API-KEY': API_KEY, 'X-ACCOUNT-KEY': 'acct_3' });
    expect(restored.status).toBe(200);
  });

  it('is cleared by reset', async () => {
    sandbox.expireAccount('acct_5');
    sandbox.reset();
    const response = await api.get<TikapiError>('/user/followers', { 'X-API-KEY': API_KEY, 'X-ACCOUNT-KEY': 'acct_5' });
    expect(response.status).toBe(200);
  });
});

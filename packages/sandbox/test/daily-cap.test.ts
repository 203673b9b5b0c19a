import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox, type SandboxConfig } from '../src/index';
import { client, videoPost, type Api } from './helpers';
import type { AdminError, PostingError, PostResponse } from './wire';

let sandbox: RunningSandbox;
let api: Api;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, config: { quotaPerSecond: 0 } });
  api = client(sandbox);
});
afterAll(() => sandbox.close());
beforeEach(() => sandbox.reset());

const post = (accountId: string, content = 'daily') => api.post<PostResponse | PostingError>('/api/content/post', videoPost({ accountId, content }));
const publishedBy = (accountId: string) => sandbox.stats().publishes.filter((entry) => entry.accountId === accountId).reduce((sum, entry) => sum + entry.count, 0);

describe('the daily post cap', () => {
  it('is off by default', async () => {
    expect((await api.get<SandboxConfig>('/__sandbox/config', {})).body).toMatchObject({ dailyPostCap: null, day: 0, subscription: 'maximum' });
    for (let index = 0; index < 20; index++) expect((await post('acct_1', `post ${index}`)).status).toBe(200);
  });

  it('refuses the (n+1)th accepted post of an account with spam_risk_too_many_posts, records nothing, and leaves other accounts alone', async () => {
    const config = await api.put<SandboxConfig>('/__sandbox/config', { dailyPostCap: 2 });
    expect(config.body).toMatchObject({ dailyPostCap: 2, day: 0 });

    expect((await post('acct_1', 'one')).status).toBe(200);
    // A refused body is not an accepted post and does not count.
    expect((await api.post('/api/content/post', videoPost({ accountId: 'acct_1', mediaItems: [] }))).status).toBe(400);
    expect((await post('acct_1', 'two')).status).toBe(200);

    const refused = await post('acct_1', 'three');
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ success: false, error: expect.any(String), code: 'spam_risk_too_many_posts' });
    expect((await post('acct_1', 'four')).status).toBe(403);
    expect(publishedBy('acct_1')).toBe(2);

    expect((await post('acct_2', 'one')).status).toBe(200);
    expect((await post('acct_2', 'two')).status).toBe(200);
    expect((await post('acct_2', 'three')).status).toBe(403);
  });

  it('starts every account afresh when the sandbox day moves', async () => {
    sandbox.configure({ dailyPostCap: 1 });
    expect((await post('acct_1')).status).toBe(200);
    expect((await post('acct_1')).status).toBe(403);
    expect((await api.put<SandboxConfig>('/__sandbox/config', { day: 1 })).body.day).toBe(1);
    expect((await post('acct_1')).status).toBe(200);
    expect((await post('acct_1')).status).toBe(403);
    expect(publishedBy('acct_1')).toBe(2);
  });

  it('refuses every post with a cap of 0, and lifts with null', async () => {
    sandbox.configure({ dailyPostCap: 0 });
    expect((await post('acct_1')).status).toBe(403);
    sandbox.configure({ dailyPostCap: null });
    expect((await post('acct_1')).status).toBe(200);
  });

  it('counts posts made before the cap was set, and reset clears counts, cap and day', async () => {
    expect((await post('acct_1')).status).toBe(200);
    sandbox.configure({ dailyPostCap: 1, day: 0 });
    expect((await post('acct_1')).status).toBe(403);
    sandbox.configure({ day: 3 });
    await api.post('/__sandbox/reset', undefined, {});
    expect((await api.get<SandboxConfig>('/__sandbox/config', {})).body).toMatchObject({ dailyPostCap: null, day: 0 });
    sandbox.configure({ dailyPostCap: 1 });
    expect((await post('acct_1')).status).toBe(200);
  });

  it.each([
    [{ dailyPostCap: -1 }, 'dailyPostCap'],
    [{ dailyPostCap: 1.5 }, 'dailyPostCap'],
    [{ dailyPostCap: '3' }, 'dailyPostCap'],
    [{ day: -1 }, 'day'],
    [{ day: 0.5 }, 'day'],
    [{ subscription: 'gold' }, 'subscription'],
  ])('refuses %j with a 400 naming %s', async (patch, field) => {
    const response = await api.put<AdminError>('/__sandbox/config', patch);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ ok: false, field });
  });
});

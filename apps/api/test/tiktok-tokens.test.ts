import { QUEUE_NAMES } from '@pubcrawl/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiWorkers, type ApiWorkers } from './harness';
import { getPost, waitForPost, type OperatorWorld } from './operator-world';
import { connectedAccount, connectTikTok, createTikTokPost, sandboxCalls, startTikTokWorld, tiktokAccounts, tiktokOpenId, tiktokVideoBody } from './tiktok-world';

let world: OperatorWorld;
const extraWorkers: ApiWorkers[] = [];

beforeAll(async () => {
  world = await startTikTokWorld();
  // Two more worker processes' worth of publish workers: three fleets race for the same account.
  for (let index = 0; index < 2; index++) {
    extraWorkers.push(startApiWorkers(world.api, world.sandbox, [QUEUE_NAMES.publish, QUEUE_NAMES.publishStatus], { PUBLISH_STATUS_FIRST_INTERVAL_MS: '100', TIKTOK_STATUS_MAX_INTERVAL_MS: '300', SHUTDOWN_GRACE_MS: '2000' }));
  }
});
afterAll(async () => {
  for (const workers of extraWorkers) await workers.stop();
  await world.close();
});

const tokenAnswers = () => sandboxCalls(world.sandbox, 'POST /v2/oauth/token/').byStatus;
const storedTokens = async (accountId: string) =>
  (await world.api.db.pool.query<{ credentials_encrypted: string }>('select credentials_encrypted from accounts where id = $1', [accountId])).rows[0]?.credentials_encrypted;

describe('TikTok tokens', () => {
  it('an access token that expires mid-run is refreshed once across three racing workers, and every post publishes', async () => {
    const account = await connectedAccount(world, 'creator_20');
    const before = await storedTokens(account.id);
    // Due in a moment: created (and creator_info read) with the good token, sent after it died.
    const at = new Date(Date.now() + 1_500).toISOString();
    const ids: string[] = [];
    for (let index = 0; index < 6; index++) ids.push(await createTikTokPost(world.api, tiktokVideoBody(account.id, { content: `racing post ${index}`, scheduledAt: at })));
    const answersBefore = tokenAnswers()['200'] ?? 0;
    await world.admin('POST', `/tiktok/users/${tiktokOpenId('creator_20')}/expire-access-token`);

    for (const id of ids) expect((await waitForPost(world.api, id, (post) => post.status === 'published' || post.status === 'failed' || post.status === 'reauth_required', 30_000)).status).toBe('published');
    // One rotation: the code exchange was before, so exactly one more token answer.
    expect((tokenAnswers()['200'] ?? 0) - answersBefore).toBe(1);
    expect(tokenAnswers()['400'] ?? 0).toBe(0);
    // The dead token was met (usually by all six sends at once, from the three fleets), yet one refresh served them all.
    expect(sandboxCalls(world.sandbox, 'POST /v2/post/publish/video/init/').byStatus['401'] ?? 0).toBeGreaterThanOrEqual(1);
    expect(await storedTokens(account.id)).not.toBe(before);
    // Workers flush their counters to Redis once a second.
    await expect
      .poll(async () => (await world.api.app.inject({ method: 'GET', url: '/metrics' })).body, { timeout: 5_000 })
      .toMatch(/^pubcrawl_provider_events_total\{provider="tiktok",event="token_refreshed"\} 1$/m);
  });

  it('a revoked grant parks the account with the reason; connecting again resumes the post, which publishes once', async () => {
    const account = await connectedAccount(world, 'creator_21');
    await world.admin('POST', `/tiktok/users/${tiktokOpenId('creator_21')}/revoke`);
    const id = await createTikTokPost(world.api, tiktokVideoBody(account.id, { content: 'after revoke' }));

    const parked = await waitForPost(world.api, id, (post) => post.status === 'reauth_required', 15_000);
    expect(parked.waiting?.reason).toBe('reauth_required');
    const [row] = (await tiktokAccounts(world.api)).filter((candidate) => candidate.id === account.id);
    expect(row?.status).toBe('reauth_required');
    expect(row?.reauthReason).toMatch(/invalid_grant|refresh/);
    expect((await getPost(world.api, id)).status).toBe('reauth_required');

    const reconnect = await connectTikTok(world, { user: 'creator_21' });
    expect(reconnect.status).toBe(200);
    expect(reconnect.page).toContain('resumes');
    const done = await waitForPost(world.api, id, (post) => post.status === 'published' || post.status === 'failed', 15_000);
    expect(done.status).toBe('published');
    expect(world.sandbox.stats().publishes.filter((entry) => entry.accountId === tiktokOpenId('creator_21')).map((entry) => entry.count)).toEqual([1]);
    expect((await tiktokAccounts(world.api)).filter((candidate) => candidate.externalId === tiktokOpenId('creator_21'))).toHaveLength(1);
  });
});

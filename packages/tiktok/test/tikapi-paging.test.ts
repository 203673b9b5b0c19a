import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testSandbox } from '@pubcrawl/testing';
import type { RunningSandbox } from '@pubcrawl/sandbox';
import { TikApiClient, type FollowersPage, type HashtagPage, type UpstreamResponseInfo } from '../src/index';

let sandbox: RunningSandbox;
let client: TikApiClient;
const responses: UpstreamResponseInfo[] = [];

beforeAll(async () => {
  sandbox = await testSandbox();
  client = new TikApiClient({ baseUrl: sandbox.url, apiKey: 'paging-key', onResponse: (info) => responses.push(info) });
});

afterAll(async () => {
  await client.close();
  await sandbox.close();
});

async function collect<P>(pages: AsyncIterable<P>): Promise<P[]> {
  const out: P[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

const followerIds = (pages: FollowersPage[]) => pages.flatMap((page) => page.items.map((item) => item.user.id));
const videoIds = (pages: HashtagPage[]) => pages.flatMap((page) => page.items.map((item) => item.id));

describe('TikApiClient paging', () => {
  it('looks a user up and returns the secUid the list endpoints take', async () => {
    const user = await client.checkUser('user_95');
    expect(user.followerCount).toBe(95);
    expect(user.secUid).toMatch(/\S+/);
    expect(user.raw).toMatchObject({ status: 'success', userInfo: { user: { uniqueId: 'user_95' } } });
  });

  it('pages user_95 to the end with 95 distinct followers, the same order twice, and resumes from a saved cursor with exactly the rest', async () => {
    const { secUid } = await client.checkUser('user_95');
    const first = await collect(client.iterateFollowers({ secUid }));
    const ids = followerIds(first);
    expect(ids).toHaveLength(95);
    expect(new Set(ids).size).toBe(95);
    expect(first.at(-1)?.hasMore).toBe(false);

    const second = followerIds(await collect(client.iterateFollowers({ secUid })));
    expect(second).toEqual(ids);

    // Checkpoint after the first page, as a crawler would (items + the cursor that follows them).
    const checkpoint = first[0]?.nextCursor;
    expect(checkpoint).toEqual(expect.any(String));
    const rest = followerIds(await collect(client.iterateFollowers({ secUid, startCursor: checkpoint ?? '' })));
    expect(rest).toEqual(ids.slice(first[0]?.items.length));
  });

  it('keeps unknown upstream fields on items and the untouched body as raw', async () => {
    const { secUid } = await client.checkUser('user_95');
    const page = await client.followersPage({ secUid, count: 5 });
    expect(page.items).toHaveLength(5);
    expect(page.items[0]?.user).toHaveProperty('nickname');
    expect(page.raw).toMatchObject({ total: 95, hasMore: true });
  });

  it('clamps count to the documented maximum of 30 instead of earning a 400', async () => {
    const { secUid } = await client.checkUser('user_95');
    const page = await client.followersPage({ secUid, count: 500 });
    expect(page.items).toHaveLength(30);
  });

  it('pages /user/followers with an account key', async () => {
    const pages = await collect(client.iterateFollowers({ accountKey: 'acct_40' }));
    expect(pages.length).toBeGreaterThan(0);
    expect(new Set(followerIds(pages)).size).toBe(followerIds(pages).length);
  });

  it('pages tag_70 to the end with 70 distinct videos, the same order twice, and resumes from a saved cursor with exactly the rest', async () => {
    const first = await collect(client.iterateHashtag({ name: 'tag_70' }));
    const ids = videoIds(first);
    expect(ids).toHaveLength(70);
    expect(new Set(ids).size).toBe(70);
    const challengeId = first[0]?.challengeId;
    expect(challengeId).toEqual(expect.any(String));

    expect(videoIds(await collect(client.iterateHashtag({ name: 'tag_70' })))).toEqual(ids);

    // A checkpoint holds the challenge id and the cursor; resuming needs no name lookup.
    const checkpoint = first[1]?.cursor ?? '';
    const rest = videoIds(await collect(client.iterateHashtag({ id: challengeId ?? '', startCursor: checkpoint })));
    const consumed = (first[0]?.items.length ?? 0) + (first[1]?.items.length ?? 0);
    expect(rest).toEqual(ids.slice(consumed));
  });

  it('reports every call to the onResponse hook with its route pattern and status', async () => {
    responses.length = 0;
    await client.checkUser('user_3');
    expect(responses).toEqual([{ upstream: 'tikapi', endpoint: 'GET /public/check', status: 200, durationMs: expect.any(Number) }]);
  });

  it('asks for a hashtag by name on the first page only and by challenge id afterwards', async () => {
    const queries: URLSearchParams[] = [];
    const fake = createServer((request, response) => {
      const query = new URL(request.url ?? '/', 'http://fake').searchParams;
      queries.push(query);
      const offset = Number(query.get('cursor') ?? '0');
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({
          status: 'success',
          statusCode: 0,
          challengeInfo: { challenge: { id: '4655293', title: 'fyp' } },
          itemList: [{ id: `v${offset}` }],
          cursor: String(offset + 1),
          hasMore: offset < 2,
        }),
      );
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const local = new TikApiClient({ baseUrl: `http://127.0.0.1:${(fake.address() as AddressInfo).port}`, apiKey: 'fake' });
    try {
      const pages = await collect(local.iterateHashtag({ name: 'fyp' }));
      expect(videoIds(pages)).toEqual(['v0', 'v1', 'v2']);
      expect(queries.map((query) => [query.get('name'), query.get('id'), query.get('cursor')])).toEqual([
        ['fyp', null, null],
        [null, '4655293', '1'],
        [null, '4655293', '2'],
      ]);
    } finally {
      await local.close();
      await new Promise<void>((resolve) => fake.close(() => resolve()));
    }
  });
});

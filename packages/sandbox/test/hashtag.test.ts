import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../src/index';
import { client, query, type Api } from './helpers';
import type { HashtagResponse, TikapiError } from './wire';

let sandbox: RunningSandbox;
let api: Api;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, config: { quotaPerSecond: 0 } });
  api = client(sandbox);
});
afterAll(() => sandbox.close());

async function allVideos(params: { name?: string; id?: string }): Promise<HashtagResponse[]> {
  const pages: HashtagResponse[] = [];
  let cursor: string | undefined;
  for (;;) {
    const response = await api.get<HashtagResponse>(`/public/hashtag?${query({ ...params, count: 30, cursor })}`);
    expect(response.status).toBe(200);
    pages.push(response.body);
    if (!response.body.hasMore) return pages;
    cursor = response.body.cursor;
  }
}

describe('GET /public/hashtag', () => {
  it('yields exactly 70 distinct videos for tag_70', async () => {
    const pages = await allVideos({ name: 'tag_70' });
    const videos = pages.flatMap((page) => page.itemList);
    expect(pages.map((page) => page.itemList.length)).toEqual([30, 30, 10]);
    expect(new Set(videos.map((video) => video.id)).size).toBe(70);
    expect(videos.every((video) => /^\d{19}$/.test(video.id) && Number.isInteger(video.createTime))).toBe(true);
    expect(pages[0]?.challengeInfo.stats.videoCount).toBe(70);
    expect(pages.map((page) => page.cursor)).toEqual(['30', '60', '70']);
  });

  it('serves the same videos by challenge id as by name', async () => {
    const byName = await allVideos({ name: 'tag_45' });
    const id = byName[0]?.challengeInfo.challenge.id ?? '';
    expect(id).toMatch(/^\d+$/);
    const byId = await allVideos({ id });
    expect(byId.flatMap((page) => page.itemList)).toEqual(byName.flatMap((page) => page.itemList));
    expect(byId[0]?.challengeInfo.challenge.title).toBe('tag_45');
  });

  it('answers err_<code> names with that TikTok code and unknown tags with 10205', async () => {
    const magic = await api.get<TikapiError>('/public/hashtag?name=err_10209');
    expect(magic.status).toBe(403);
    expect(magic.body).toEqual({ status: 'error', message: 'Hashtag is blacklisted', statusCode: 10209 });

    for (const params of ['name=fyp', 'id=4655293']) {
      const unknown = await api.get<TikapiError>(`/public/hashtag?${params}`);
      expect(unknown.status).toBe(403);
      expect(unknown.body).toEqual({ status: 'error', message: "Hashtag doesn't exist", statusCode: 10205 });
    }
  });

  it('needs a name or an id, a numeric cursor and a count of at most 30', async () => {
    const neither = await api.get<TikapiError>('/public/hashtag');
    expect(neither.status).toBe(400);
    expect(neither.body.fields).toHaveProperty('name');

    const badCursor = await api.get<TikapiError>('/public/hashtag?name=tag_5&cursor=abc');
    expect(badCursor.status).toBe(400);
    expect(Object.keys(badCursor.body.fields ?? {})).toEqual(['cursor']);

    const badCount = await api.get<TikapiError>('/public/hashtag?name=tag_5&count=50');
    expect(badCount.status).toBe(400);
    expect(Object.keys(badCount.body.fields ?? {})).toEqual(['count']);
  });
});

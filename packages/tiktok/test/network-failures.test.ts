import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { testSandbox, unusedPort } from '@pubcrawl/testing';
import type { RunningSandbox } from '@pubcrawl/sandbox';
import { PostingClient, TikApiClient, type UpstreamResponseInfo } from '../src/index';
import { failure } from './failure';

const API_KEY = 'sk_network_test_secret';

let sandbox: RunningSandbox;

beforeAll(async () => {
  sandbox = await testSandbox();
});

afterEach(() => sandbox.reset());

afterAll(async () => {
  await sandbox.close();
});


const video = (url: string) => ({
  accountId: 'acct_12',
  content: 'hello',
  mediaItems: [{ url }],
  tiktokSettings: { privacy_level: 'SELF_ONLY' as const, allow_comment: true, allow_duet: false, allow_stitch: false },
});

describe('network failures', () => {
  it('makes a publish that was sent but never answered Ambiguous, within the client timeout', async () => {
    const seen: UpstreamResponseInfo[] = [];
    const posting = new PostingClient({ baseUrl: sandbox.url, apiKey: API_KEY, timeoutMs: 300, onResponse: (info) => seen.push(info) });
    try {
      const started = Date.now();
      const error = await failure(posting.createPost(video('https://cdn.example.com/hang.mp4')));
      expect(error.kind).toBe('Ambiguous');
      expect(error.endpoint).toBe('POST /api/content/post');
      expect(Date.now() - started).toBeLessThan(3000);
      // The upstream did receive it: exactly the case a blind retry would publish twice.
      expect(sandbox.stats().publishes).toHaveLength(1);
      expect(seen).toEqual([{ upstream: 'posting', endpoint: 'POST /api/content/post', status: 'error', durationMs: expect.any(Number) }]);
      expect(error.message).not.toContain(API_KEY);
    } finally {
      await posting.close();
    }
  });

  it('makes a publish on a refused connection Transient, because nothing was sent', async () => {
    const posting = new PostingClient({ baseUrl: `http://127.0.0.1:${await unusedPort()}`, apiKey: API_KEY, timeoutMs: 1000 });
    try {
      const error = await failure(posting.createPost(video('https://cdn.example.com/clip.mp4')));
      expect(error.kind).toBe('Transient');
      expect(error.code).toBe('ECONNREFUSED');
    } finally {
      await posting.close();
    }
  });

  it('makes 5xx answers Transient on both upstreams', async () => {
    sandbox.configure({ errorRate: 1 });
    const tikapi = new TikApiClient({ baseUrl: sandbox.url, apiKey: API_KEY });
    const posting = new PostingClient({ baseUrl: sandbox.url, apiKey: API_KEY });
    try {
      expect(await failure(tikapi.checkUser('user_1'))).toMatchObject({ kind: 'Transient', httpStatus: 500 });
      expect(await failure(posting.createPost(video('https://cdn.example.com/clip.mp4')))).toMatchObject({ kind: 'Transient', httpStatus: 500 });
    } finally {
      await Promise.all([tikapi.close(), posting.close()]);
    }
  });

  it('makes a reset connection Transient for reads and Ambiguous for the publish POST', async () => {
    sandbox.configure({ resetRate: 1 });
    const tikapi = new TikApiClient({ baseUrl: sandbox.url, apiKey: API_KEY });
    const posting = new PostingClient({ baseUrl: sandbox.url, apiKey: API_KEY });
    try {
      expect((await failure(tikapi.checkUser('user_1'))).kind).toBe('Transient');
      expect((await failure(posting.getStatus('acct_12', 'v_pub_url~v2.1'))).kind).toBe('Transient');
      expect((await failure(posting.createPost(video('https://cdn.example.com/clip.mp4')))).kind).toBe('Ambiguous');
    } finally {
      await Promise.all([tikapi.close(), posting.close()]);
    }
  });

  it('makes a read that times out Transient', async () => {
    sandbox.configure({ hangRate: 1, hangMs: 5000 });
    const tikapi = new TikApiClient({ baseUrl: sandbox.url, apiKey: API_KEY, timeoutMs: 200 });
    try {
      expect(await failure(tikapi.checkUser('user_1'))).toMatchObject({ kind: 'Transient', code: 'UND_ERR_HEADERS_TIMEOUT' });
    } finally {
      await tikapi.close();
    }
  });
});

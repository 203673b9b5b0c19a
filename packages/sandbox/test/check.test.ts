import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, TIKTOK_ERROR_MESSAGES, type RunningSandbox } from '../src/index';
import { client, type Api } from './helpers';
import type { CheckResponse, TikapiError } from './wire';

let sandbox: RunningSandbox;
let api: Api;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0 });
  api = client(sandbox);
});
afterAll(() => sandbox.close());

describe('GET /public/check', () => {
  it('describes user_N with N followers, a 19-digit id and a stable secUid', async () => {
    const first = await api.get<CheckResponse>('/public/check?username=user_1234');
    const again = await api.get<CheckResponse>('/public/check?username=user_1234');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: 'success', message: '', statusCode: 0 });
    const { user, stats } = first.body.userInfo;
    expect(user.uniqueId).toBe('user_1234');
    expect(user.id).toMatch(/^\d{19}$/);
    expect(user.secUid.startsWith('MS4wLjABAAAA')).toBe(true);
    expect(user).toMatchObject({ verified: false, privateAccount: false });
    expect(stats.followerCount).toBe(1234);
    expect(again.body).toEqual(first.body);
  });

  it('gives different users different ids', async () => {
    const a = await api.get<CheckResponse>('/public/check?username=user_1');
    const b = await api.get<CheckResponse>('/public/check?username=user_2');
    expect(a.body.userInfo.user.id).not.toBe(b.body.userInfo.user.id);
  });

  it('answers err_10000 with 403, statusCode 10000 and the documented message', async () => {
    const response = await api.get<TikapiError>('/public/check?username=err_10000');
    expect(response.status).toBe(403);
    expect(response.body).toEqual({ status: 'error', message: 'TikTok Captcha Error', statusCode: 10000 });
  });

  it('knows every code in the documented error table', async () => {
    const codes = [...TIKTOK_ERROR_MESSAGES.keys()];
    const responses = await Promise.all(codes.map((code) => api.get<TikapiError>(`/public/check?username=err_${code}`)));
    expect(codes).toHaveLength(36);
    for (const [index, response] of responses.entries()) {
      const code = codes[index] ?? 0;
      expect(response.status).toBe(403);
      expect(response.body).toEqual({ status: 'error', message: TIKTOK_ERROR_MESSAGES.get(code), statusCode: code });
    }
  });

  it("answers any other name with 10202 User doesn't exist", async () => {
    for (const username of ['lilyachty', 'user_', 'user_007', 'err_12345']) {
      const response = await api.get<TikapiError>(`/public/check?username=${username}`);
      expect(response.status).toBe(403);
      expect(response.body).toEqual({ status: 'error', message: "User doesn't exist", statusCode: 10202 });
    }
  });

  it('asks for the username when it is missing', async () => {
    const response = await api.get<TikapiError>('/public/check');
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      status: 'error',
      message: 'Missing fields.',
      fields: { username: 'A valid TikTok username is required.' },
    });
  });

  it('rejects requests without an API key', async () => {
    for (const headers of [{}, { 'X-API-KEY': '' }] as Array<Record<string, string>>) {
      const response = await api.get<TikapiError>('/public/check?username=user_1', headers);
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ message: 'A valid API Key is required.', status: 'error' });
    }
  });
});

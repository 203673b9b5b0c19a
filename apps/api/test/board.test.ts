import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('Bull Board', () => {
  let api: TestApi;
  let closedApi: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ BOARD_USERNAME: 'admin', BOARD_PASSWORD: 'board-secret' });
    closedApi = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
    await closedApi.close();
  });

  it('asks for credentials, and refuses wrong ones', async () => {
    const anonymous = await api.app.inject({ method: 'GET', url: '/admin/queues' });
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.headers['www-authenticate']).toContain('Basic');
    const wrong = await api.app.inject({ method: 'GET', url: '/admin/queues', headers: { authorization: basic('admin', 'nope') } });
    expect(wrong.statusCode).toBe(401);
    const api401 = await api.app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: { authorization: basic('admin', 'nope') } });
    expect(api401.statusCode).toBe(401);
  });

  it('lists every queue to a logged-in operator', async () => {
    const page = await api.app.inject({ method: 'GET', url: '/admin/queues', headers: { authorization: basic('admin', 'board-secret') } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    const queues = await api.app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: { authorization: basic('admin', 'board-secret') } });
    expect(queues.statusCode).toBe(200);
    const names = queues.json<{ queues: Array<{ name: string }> }>().queues.map((queue) => queue.name).sort();
    expect(names).toEqual(['account-links', 'crawl-followers', 'crawl-hashtag', 'crawl-profiles', 'insights', 'publish', 'publish-status', 'webhooks']);
  });

  it('is not mounted at all without BOARD_USERNAME and BOARD_PASSWORD', async () => {
    const response = await closedApi.app.inject({ method: 'GET', url: '/admin/queues' });
    expect(response.statusCode).toBe(404);
  });
});

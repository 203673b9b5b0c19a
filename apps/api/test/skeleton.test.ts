import { createDb } from '@pubcrawl/db';
import { createLogger } from '@pubcrawl/logger';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../src/server';
import { startTestApi, TEST_API_KEY, type TestApi } from './harness';

describe('API skeleton', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it('answers /healthz without a key', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/healthz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('is ready when Postgres, Redis and the migrations are', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/readyz' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ status: 'ready', checks: { postgres: { ok: true }, migrations: { ok: true }, redis: { ok: true } } });
  });

  it('refuses /v1 without a key with 401 not_authenticated', async () => {
    const response = await api.app.inject({ method: 'POST', url: '/v1/ping', payload: {} });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toEqual({ error: { code: 'not_authenticated', message: expect.any(String) } });
  });

  it('refuses /v1 with a wrong key, including one that shares a prefix with a real key', async () => {
    for (const key of ['wrong', TEST_API_KEY.slice(0, -1), `${TEST_API_KEY}x`, '']) {
      const response = await api.app.inject({ method: 'POST', url: '/v1/ping', headers: { authorization: `Bearer ${key}` }, payload: {} });
      expect(response.statusCode).toBe(401);
      expect(response.json().error.code).toBe('not_authenticated');
    }
  });

  it('accepts every configured key', async () => {
    for (const key of [TEST_API_KEY, 'second-key']) {
      const response = await api.app.inject({ method: 'POST', url: '/v1/ping', headers: { authorization: `Bearer ${key}` }, payload: { echo: 'hi' } });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toEqual({ ok: true, echo: 'hi' });
    }
  });

  it('answers a broken JSON body with 400 json_error, never 500', async () => {
    for (const payload of ['{"echo": ', '{bad json}', 'null,', '[1,2']) {
      const response = await api.app.inject({
        method: 'POST',
        url: '/v1/ping',
        headers: { ...api.auth, 'content-type': 'application/json' },
        payload,
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe('json_error');
    }
  });

  it('names the field in invalid_input errors', async () => {
    const response = await api.app.inject({ method: 'POST', url: '/v1/ping', headers: api.auth, payload: { echo: 42 } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ error: { code: 'invalid_input', message: expect.any(String), fields: { echo: expect.any(String) } } });
  });

  it('answers unknown routes with the not_found envelope', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/v1/nothing-here', headers: api.auth });
    expect(response.statusCode).toBe(404);
    expect(response.json().error.code).toBe('not_found');
  });

  it('is not ready while Postgres is unreachable', async () => {
    // Port 1 on loopback refuses connections at once: an unreachable database.
    const unreachable = createDb('postgres://postgres@127.0.0.1:1/pubcrawl', { max: 1 });
    const app = await buildServer({ ...api.context, db: unreachable, logger: createLogger({ name: 't', level: 'silent', pretty: false }) });
    try {
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ status: 'not_ready', checks: { postgres: { ok: false }, redis: { ok: true } } });
    } finally {
      await app.close();
      await unreachable.close();
    }
  });
});

describe('API documentation', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(async () => {
    await api.close();
  });

  it('serves an OpenAPI 3 document generated from the route schemas', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.openapi).toMatch(/^3\./);
    expect(document.paths['/v1/ping'].post.requestBody.content['application/json'].schema.properties.echo).toMatchObject({ type: 'string' });
  });

  it('serves the interactive UI at /docs', async () => {
    const response = await api.app.inject({ method: 'GET', url: '/docs/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/html');
  });
});

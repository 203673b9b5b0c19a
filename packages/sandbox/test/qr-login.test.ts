import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type RunningSandbox } from '../src/index';
import { client, type Api } from './helpers';
import type { AccountsResponse, AdminError, AdminQrLogin, PostingError, QrCheckResponse, QrRequestResponse, SubscriptionRefusal } from './wire';

// A hand-moved clock: expiry is tested by jumping past 300 s, not by waiting for it.
let clockMs = 1_000;
let sandbox: RunningSandbox;
let api: Api;

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, config: { quotaPerSecond: 0 }, now: () => clockMs });
  api = client(sandbox);
});
afterAll(() => sandbox.close());
beforeEach(() => {
  sandbox.reset();
  clockMs = 1_000;
});

async function requestQr(body: unknown = {}): Promise<QrRequestResponse['data']> {
  const response = await api.post<QrRequestResponse>('/api/content/qr-login/request', body);
  expect(response.status).toBe(200);
  return response.body.data;
}

async function check(token: string): Promise<QrCheckResponse['data']> {
  const response = await api.post<QrCheckResponse>('/api/content/qr-login/check', { token });
  expect(response.status).toBe(200);
  expect(response.body.success).toBe(true);
  return response.body.data;
}

const admin = (path: string, body?: unknown) => api.post<AdminQrLogin & { account?: unknown }>(`/__sandbox${path}`, body, {});
const listAccounts = async () => (await api.get<AccountsResponse>('/api/content/accounts')).body.data;

describe('QR login request', () => {
  it('answers the seed-004 shape: a PNG data URI, a 32-character token, the unique_id and 300 s', async () => {
    const response = await api.post<QrRequestResponse>('/api/content/qr-login/request', { unique_id: 'my_session_12345' });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      success: true,
      data: { qrCodeImage: expect.stringMatching(/^data:image\/png;base64,iVBORw0KGgo/), token: expect.stringMatching(/^[A-Z0-9]{32}$/), unique_id: 'my_session_12345', expiresIn: 300 },
    });
    const png = Buffer.from(response.body.data.qrCodeImage.split(',')[1] ?? '', 'base64');
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
  });

  it('makes up a unique_id of at least 8 characters when none is sent, and a fresh token each time', async () => {
    const first = await requestQr();
    const second = await requestQr({});
    expect(first.unique_id.length).toBeGreaterThanOrEqual(8);
    expect(first.unique_id).not.toBe(second.unique_id);
    expect(first.token).not.toBe(second.token);
  });

  it.each([
    [{ unique_id: 'short' }, 'unique_id'],
    [{ unique_id: 12345678 }, 'unique_id'],
    [[], 'body'],
  ])('refuses %j with a 400 naming %s', async (body, field) => {
    const response = await api.post<PostingError>('/api/content/qr-login/request', body);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ success: false, code: 'invalid_params', field });
  });

  it('answers 403 with the plan on subscriptions below maximum, and hands out no token', async () => {
    sandbox.configure({ subscription: 'free' });
    const response = await api.post<SubscriptionRefusal>('/api/content/qr-login/request', { unique_id: 'my_session_12345' });
    expect(response.status).toBe(403);
    expect(response.body).toEqual({ error: 'QR Code login is only available for Maximum subscription', subscription: 'free' });
    expect((await api.get<AdminQrLogin[]>('/__sandbox/qr', {})).body).toEqual([]);
    expect((await api.get<AccountsResponse>('/api/content/accounts')).body.subscription).toBe('free');
  });
});

describe('QR login check', () => {
  it('goes new → scanned → confirmed once → utilised, and links the account on confirm', async () => {
    const { token } = await requestQr({ unique_id: 'my_session_12345' });
    expect(await check(token)).toEqual({ status: 'new', unique_id: 'my_session_12345' });

    expect((await admin(`/qr/${token}/scan`)).body).toMatchObject({ token, status: 'scanned' });
    expect(await check(token)).toEqual({ status: 'scanned', unique_id: 'my_session_12345' });

    const confirm = await admin(`/qr/${token}/confirm`, { accountId: 'acct_321', username: 'creator_username', display_name: 'Creator Name' });
    expect(confirm.status).toBe(200);
    expect(confirm.body).toMatchObject({ token, status: 'confirmed', account: { accountId: 'acct_321', username: 'creator_username' } });
    expect(await listAccounts()).toContainEqual(expect.objectContaining({ accountId: 'acct_321', username: 'creator_username', display_name: 'Creator Name' }));

    expect(await check(token)).toEqual({
      status: 'confirmed',
      unique_id: 'my_session_12345',
      account: { accountId: 'acct_321', display_name: 'Creator Name', username: 'creator_username' },
    });
    expect(await check(token)).toEqual({ status: 'utilised', unique_id: 'my_session_12345', message: 'QR code has already been used.' });
    expect(await check(token)).toMatchObject({ status: 'utilised' });
  });

  it('invents a uuid-shaped account id and a username when the confirm names neither', async () => {
    const { token } = await requestQr();
    const confirm = await admin(`/qr/${token}/confirm`);
    expect(confirm.status).toBe(200);
    const { account } = await check(token);
    expect(account?.accountId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(account?.username).toMatch(/^qr_[0-9a-z]{8}$/);
    expect(account?.display_name).toBe(`Sandbox ${account?.username}`);
    expect(await listAccounts()).toContainEqual(expect.objectContaining({ accountId: account?.accountId, followers: expect.any(Number) }));
  });

  it('expires an unconfirmed code 300 s after the request, on the sandbox clock', async () => {
    const { token, unique_id } = await requestQr();
    clockMs += 299_999;
    expect((await check(token)).status).toBe('new');
    clockMs += 1;
    expect(await check(token)).toEqual({ status: 'expired', unique_id });
    const confirm = await api.post<AdminError>(`/__sandbox/qr/${token}/confirm`, {}, {});
    expect(confirm.status).toBe(409);
    expect(confirm.body).toMatchObject({ ok: false, field: 'token', status: 'expired' });
  });

  it('expires a scanned code when the admin API says so, and links nothing', async () => {
    const { token } = await requestQr();
    await admin(`/qr/${token}/scan`);
    expect((await admin(`/qr/${token}/expire`)).body).toMatchObject({ status: 'expired' });
    expect((await check(token)).status).toBe('expired');
    expect(await listAccounts()).toHaveLength(3);
  });

  it('answers an unknown token 404 in the posting error shape, and a missing one 400', async () => {
    const unknown = await api.post<PostingError>('/api/content/qr-login/check', { token: 'NOPE' });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ success: false, error: 'QR token not found', code: 'not_found' });
    const missing = await api.post<PostingError>('/api/content/qr-login/check', {});
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ code: 'invalid_params', field: 'token' });
  });
});

describe('QR admin routes', () => {
  it('lists codes waiting for the user, newest first, leaving out confirmed and expired ones', async () => {
    const oldest = await requestQr({ unique_id: 'session_one' });
    const confirmed = await requestQr({ unique_id: 'session_two' });
    const expired = await requestQr({ unique_id: 'session_three' });
    const newest = await requestQr({ unique_id: 'session_four' });
    await admin(`/qr/${confirmed.token}/confirm`);
    await admin(`/qr/${expired.token}/expire`);
    await admin(`/qr/${oldest.token}/scan`);

    const listed = await api.get<AdminQrLogin[]>('/__sandbox/qr', {});
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([
      { token: newest.token, unique_id: 'session_four', status: 'new', expiresAt: expect.any(String) },
      { token: oldest.token, unique_id: 'session_one', status: 'scanned', expiresAt: expect.any(String) },
    ]);
    const expiresAt = Date.parse(listed.body[0]?.expiresAt ?? '');
    expect(expiresAt - Date.now()).toBeGreaterThan(290_000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(300_000);

    clockMs += 300_000;
    expect((await api.get<AdminQrLogin[]>('/__sandbox/qr', {})).body).toEqual([]);
  });

  it.each(['scan', 'confirm', 'expire'])('answers %s of an unknown token 404 naming the token', async (action) => {
    const response = await api.post<AdminError>(`/__sandbox/qr/NOSUCHTOKEN/${action}`, {}, {});
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ ok: false, field: 'token' });
  });

  it.each([
    ['scan', 'scan', 'scanned'],
    ['confirm', 'scan', 'confirmed'],
    ['confirm', 'confirm', 'confirmed'],
    ['confirm', 'expire', 'confirmed'],
    ['expire', 'confirm', 'expired'],
    ['expire', 'scan', 'expired'],
  ])('refuses a %s followed by a %s with 409', async (first, second, status) => {
    const { token } = await requestQr();
    expect((await admin(`/qr/${token}/${first}`)).status).toBe(200);
    const refused = await api.post<AdminError>(`/__sandbox/qr/${token}/${second}`, {}, {});
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ ok: false, field: 'token', status });
  });

  it('refuses a used code as 409 too', async () => {
    const { token } = await requestQr();
    await admin(`/qr/${token}/confirm`);
    await check(token);
    const refused = await api.post<AdminError>(`/__sandbox/qr/${token}/expire`, {}, {});
    expect(refused.status).toBe(409);
    expect(refused.body.status).toBe('utilised');
  });

  it.each([
    [{ accountId: '' }, 'accountId'],
    [{ username: 7 }, 'username'],
    [{ surprise: true }, 'surprise'],
  ])('refuses a confirm body %j with a 400 naming %s, and leaves the code as it was', async (body, field) => {
    const { token } = await requestQr();
    const response = await api.post<AdminError>(`/__sandbox/qr/${token}/confirm`, body, {});
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ ok: false, field });
    expect((await check(token)).status).toBe('new');
  });

  it('forgets every code on reset', async () => {
    const { token } = await requestQr();
    await admin(`/qr/${token}/confirm`, { accountId: 'acct_55' });
    sandbox.reset();
    expect((await api.post<PostingError>('/api/content/qr-login/check', { token })).status).toBe(404);
    expect((await listAccounts()).map((account) => account.accountId)).not.toContain('acct_55');
  });
});

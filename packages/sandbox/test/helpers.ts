import type { RunningSandbox } from '../src/index';
import type { CheckResponse, FollowersResponse } from './wire';

export const API_KEY = 'test-key';

export interface JsonResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

async function toJson<T>(response: Response): Promise<JsonResponse<T>> {
  const text = await response.text();
  // The tests state the shape they expect per call; a mismatch shows up as a failed assertion.
  return { status: response.status, headers: response.headers, body: (text === '' ? undefined : JSON.parse(text)) as T };
}

export type Api = ReturnType<typeof client>;

export function client(sandbox: RunningSandbox) {
  return {
    async get<T>(path: string, headers: Record<string, string> = { 'X-API-KEY': API_KEY }): Promise<JsonResponse<T>> {
      return toJson<T>(await fetch(`${sandbox.url}${path}`, { headers }));
    },
    async post<T>(path: string, body?: unknown, headers: Record<string, string> = { 'X-API-Key': API_KEY }): Promise<JsonResponse<T>> {
      return toJson<T>(
        await fetch(`${sandbox.url}${path}`, {
          method: 'POST',
          headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        }),
      );
    },
    async put<T>(path: string, body: unknown): Promise<JsonResponse<T>> {
      return toJson<T>(
        await fetch(`${sandbox.url}${path}`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
        }),
      );
    },
  };
}

export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  return search.toString();
}

/** Pages through a followers endpoint the way a crawler would, returning every page. */
export async function pageAll(
  api: Api,
  path: string,
  params: { secUid?: string; count?: number; nextCursor?: string | number },
  headers?: Record<string, string>,
): Promise<FollowersResponse[]> {
  const pages: FollowersResponse[] = [];
  let cursor = params.nextCursor;
  for (;;) {
    const response = await api.get<FollowersResponse>(`${path}?${query({ ...params, nextCursor: cursor })}`, headers);
    if (response.status !== 200) throw new Error(`page failed with ${response.status}: ${JSON.stringify(response.body)}`);
    pages.push(response.body);
    if (!response.body.hasMore) return pages;
    cursor = response.body.nextCursor;
  }
}

export async function secUidOf(api: Api, username: string): Promise<string> {
  const response = await api.get<CheckResponse>(`/public/check?username=${username}`);
  if (response.status !== 200) throw new Error(`check ${username} failed with ${response.status}`);
  return response.body.userInfo.user.secUid;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A valid video post; tests override single fields to break one rule at a time. */
export function videoPost(overrides: Record<string, unknown> = {}, settings: Record<string, unknown> = {}) {
  return {
    accountId: 'acct_1',
    content: 'Sandbox video #fyp',
    mediaItems: [{ url: 'https://cdn.example.test/clip.mp4' }],
    ...overrides,
    tiktokSettings: {
      privacy_level: 'PUBLIC_TO_EVERYONE',
      allow_comment: true,
      allow_duet: true,
      allow_stitch: true,
      ...settings,
    },
  };
}

export function photoPost(count: number, overrides: Record<string, unknown> = {}, settings: Record<string, unknown> = {}) {
  return {
    accountId: 'acct_1',
    photoTitle: 'Sandbox photos',
    content: 'A carousel',
    mediaItems: Array.from({ length: count }, (_, index) => ({ url: `https://cdn.example.test/photo-${index}.jpg` })),
    ...overrides,
    tiktokSettings: { privacy_level: 'PUBLIC_TO_EVERYONE', allow_comment: true, ...settings },
  };
}

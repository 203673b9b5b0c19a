import { Pool } from 'undici';
import type { ZodType } from 'zod';
import { classifyNetworkError, invalidResponse, toError, type HeaderBag, type UpstreamError } from './errors';
import type { Upstream } from './scope';

/** What the `onResponse` hook sees for every upstream call; it feeds Prometheus later. */
export interface UpstreamResponseInfo {
  upstream: Upstream;
  /** Route pattern, e.g. "GET /public/followers". */
  endpoint: string;
  /** HTTP status, or 'error' when no response arrived (network failure, timeout). */
  status: number | 'error';
  durationMs: number;
}

/** Options every upstream client accepts. */
export interface UpstreamClientOptions {
  /** Origin plus optional path prefix, e.g. "https://api.tikapi.io". */
  baseUrl: string;
  apiKey: string;
  /**
   * Per-phase timeout: connecting, waiting for response headers, and the gaps between body chunks
   * are each bounded by it. Default 15000. Phases rather than one deadline because the phase tells
   * us whether a request could have been sent, which decides Transient vs Ambiguous. undici runs
   * these on coarse timers (about half a second of resolution), so small values fire late.
   */
  timeoutMs?: number;
  /** Wait used for a 429 that carries neither X-RateLimit-Reset-Ms nor Retry-After. Default 1000. */
  defaultRetryAfterMs?: number;
  /** Maximum keep-alive sockets to the upstream. Default 32. */
  connections?: number;
  /** Called once per request with its outcome; exceptions it throws are swallowed. */
  onResponse?: (info: UpstreamResponseInfo) => void;
}

export interface JsonRequest {
  method: 'GET' | 'POST';
  /** Path relative to the base URL, already containing any encoded path parameters. */
  path: string;
  endpoint: string;
  query?: Readonly<Record<string, string | number | undefined>>;
  headers: Readonly<Record<string, string>>;
  json?: unknown;
  /** Non-idempotent requests turn "sent, no answer" into Ambiguous instead of Transient. */
  idempotent: boolean;
  signal?: AbortSignal;
}

export interface JsonResponse {
  status: number;
  headers: HeaderBag;
  /** Parsed JSON; the raw text (truncated) when the body was not JSON; undefined when empty. */
  body: unknown;
}

/** Longest non-JSON body we keep on an error, for the record. */
const MAX_TEXT_BODY = 2000;

/**
 * One keep-alive undici Pool per upstream origin, JSON in and out, with timing and
 * network-error classification in one place. Headers are passed through but never logged or
 * copied into errors, which is how API and account keys stay out of messages.
 */
export class JsonHttpClient {
  readonly #upstream: Upstream;
  readonly #pool: Pool;
  readonly #basePath: string;
  readonly #timeoutMs: number;
  readonly #onResponse: ((info: UpstreamResponseInfo) => void) | undefined;

  constructor(upstream: Upstream, options: Omit<UpstreamClientOptions, 'apiKey' | 'defaultRetryAfterMs'>) {
    const url = new URL(options.baseUrl);
    this.#upstream = upstream;
    this.#basePath = url.pathname.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#onResponse = options.onResponse;
    this.#pool = new Pool(url.origin, {
      connections: options.connections ?? 32,
      connectTimeout: this.#timeoutMs,
      headersTimeout: this.#timeoutMs,
      bodyTimeout: this.#timeoutMs,
    });
  }

  /** Resolves with any HTTP answer; rejects only with Transient/Ambiguous for network failures. */
  async request(request: JsonRequest): Promise<JsonResponse> {
    const started = performance.now();
    let status: number | 'error' = 'error';
    try {
      const response = await this.#pool.request({
        method: request.method,
        path: this.#basePath + request.path + queryString(request.query),
        headers: request.json === undefined ? request.headers : { ...request.headers, 'content-type': 'application/json' },
        body: request.json === undefined ? null : JSON.stringify(request.json),
        signal: request.signal ?? null,
      });
      // Reading the body fully also returns the socket to the pool.
      const text = await response.body.text();
      status = response.statusCode;
      return { status: response.statusCode, headers: response.headers, body: parseBody(text) };
    } catch (e) {
      const error = toError(e);
      throw classifyNetworkError(this.#upstream, request.endpoint, error, { idempotent: request.idempotent });
    } finally {
      this.#report({ upstream: this.#upstream, endpoint: request.endpoint, status, durationMs: performance.now() - started });
    }
  }

  /**
   * Request + status check + schema: 2xx bodies must match `schema`, anything else goes through
   * `classify`. Returns the parsed body and the untouched one (which is what gets stored).
   */
  async requestJson<T>(request: JsonRequest, schema: ZodType<T>, classify: (response: JsonResponse) => UpstreamError): Promise<{ data: T; raw: unknown }> {
    const response = await this.request(request);
    if (response.status < 200 || response.status >= 300) throw classify(response);
    const parsed = schema.safeParse(response.body);
    if (!parsed.success) {
      const issues = parsed.error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
      throw invalidResponse(this.#upstream, request.endpoint, response.status, response.body, issues);
    }
    return { data: parsed.data, raw: response.body };
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }

  #report(info: UpstreamResponseInfo): void {
    if (this.#onResponse === undefined) return;
    try {
      this.#onResponse(info);
    } catch {
      // A broken metrics hook must never turn a successful publish into a failure (or, worse, an
      // Ambiguous one), so its errors are dropped here.
    }
  }
}

function queryString(query: JsonRequest['query']): string {
  if (query === undefined) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) params.set(name, String(value));
  }
  const encoded = params.toString();
  return encoded === '' ? '' : `?${encoded}`;
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // Proxies answer 502/504 with HTML; keep the start of it for whoever reads the error.
    return text.slice(0, MAX_TEXT_BODY);
  }
}

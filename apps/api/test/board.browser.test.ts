import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { createRedisConnection } from '@pubcrawl/queue';
import { ALL_QUEUE_NAMES, QUEUE_NAMES } from '@pubcrawl/domain';
import { waitFor } from '@pubcrawl/testing';

import { Worker } from 'bullmq';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';
import { toError } from '@pubcrawl/errors';

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const RESULTS_DIR = fileURLToPath(new URL('../test-results/', import.meta.url));
const SCREENSHOT = `${RESULTS_DIR}board.png`;
const BOARD_USER = 'operator';
const BOARD_PASSWORD = `board-${randomUUID()}`;
const FAILURE = 'provider said: media_url_invalid';

// A developer without Chromium still gets a green run; CI installs it (.ci/run), so there a missing
// binary fails the launch loudly instead of quietly skipping the only real-browser check.
const runnable = existsSync(CHROMIUM_PATH) || Boolean(process.env.CI);

/** Runs one publish job through a throwaway worker whose processor always throws FAILURE. */
async function failOnePublishJob(api: TestApi, jobId: string): Promise<void> {
  const connection = createRedisConnection(api.redisTopology);
  const worker = new Worker(
    QUEUE_NAMES.publish,
    async () => {
      throw new Error(FAILURE);
    },
    { connection, prefix: api.env.QUEUE_PREFIX },
  );
  try {
    // attempts 1: failed for good at once, rather than sitting in delayed behind a backoff.
    await api.queues.publish.add('publish', { postId: randomUUID(), generation: 0 }, { jobId, attempts: 1 });
    await waitFor(async () => (await api.queues.publish.getJobState(jobId)) === 'failed', {
      timeoutMs: 10_000,
      describe: () => api.queues.publish.getJobState(jobId),
    });
  } finally {
    await worker.close();
    // The worker does not own a connection it was handed.
    connection.disconnect();
  }
}

describe.skipIf(!runnable)('Bull Board in a real browser', () => {
  let api: TestApi;
  let browser: Browser;
  let baseUrl: string;
  const failedJobId = `board-${randomUUID()}`;

  /** A context that can only reach our server: the board's page links Google Fonts, and CI may be offline. */
  async function localContext(options: Parameters<Browser['newContext']>[0] = {}): Promise<BrowserContext> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, ...options });
    context.setDefaultTimeout(15_000);
    await context.route(
      (url) => url.origin !== baseUrl,
      (route) => route.abort(),
    );
    return context;
  }

  beforeAll(async () => {
    api = await startTestApi({ BOARD_USERNAME: BOARD_USER, BOARD_PASSWORD });
    await api.app.listen({ port: 0, host: '127.0.0.1' });
    const address = api.app.server.address();
    if (address === null || typeof address === 'string') throw new Error(`unexpected listen address ${String(address)}`);
    baseUrl = `http://127.0.0.1:${address.port}`;
    await failOnePublishJob(api, failedJobId);
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  it('answers 401 with a Basic challenge to a browser without credentials', async () => {
    const context = await localContext();
    try {
      const page = await context.newPage();
      const answered = page.waitForResponse((response) => new URL(response.url()).pathname === '/admin/queues');
      // Chromium turns an unanswered Basic challenge into ERR_INVALID_AUTH_CREDENTIALS; the 401 that
      // caused it is what we check, so the navigation's own failure is expected and kept for the message.
      const navigation = await page.goto(`${baseUrl}/admin/queues`).catch((e: unknown) => toError(e));
      const response = await answered;
      expect(response.status(), `navigation: ${navigation instanceof Error ? navigation.message : navigation?.status()}`).toBe(401);
      expect(response.headers()['www-authenticate']).toContain('Basic');
      expect(await page.getByText(QUEUE_NAMES.publishStatus).count()).toBe(0);
    } finally {
      await context.close();
    }
  });

  it('shows every queue, then a failed job and its error, to a logged-in operator, and saves a screenshot', { timeout: 60_000 }, async () => {
    const context = await localContext({ httpCredentials: { username: BOARD_USER, password: BOARD_PASSWORD } });
    try {
      const page = await context.newPage();
      const overview = await page.goto(`${baseUrl}/admin/queues`);
      expect(overview?.status()).toBe(200);

      // The overview's cards, not the sidebar: each queue has a card of its own there.
      const main = page.getByRole('main');
      for (const name of ALL_QUEUE_NAMES) await main.getByRole('link', { name, exact: true }).waitFor();

      // As an operator would: the queue's card, the Failed tab, the job's Error tab (a tab since Bull Board 9).
      await main.getByRole('link', { name: QUEUE_NAMES.publish, exact: true }).click();
      await page.getByRole('link', { name: /failed/i }).click();
      await page.getByRole('link', { name: failedJobId, exact: true }).waitFor();
      await page.getByRole('tab', { name: 'Error', exact: true }).click();
      await page.getByText(FAILURE).first().waitFor();

      // Then the job's own page: the link an operator pastes into an incident channel.
      await page.getByRole('link', { name: failedJobId, exact: true }).click();
      await page.waitForURL((url) => url.pathname === `/admin/queues/queue/${QUEUE_NAMES.publish}/${failedJobId}`);
      await page.getByRole('tab', { name: 'Error', exact: true }).click();
      await page.getByText(FAILURE).first().waitFor();

      await mkdir(RESULTS_DIR, { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      expect(existsSync(SCREENSHOT)).toBe(true);
    } finally {
      await context.close();
    }
  });
});

import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { signalAndWait, waitFor } from '@pubcrawl/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWorkerHarness, type WorkerHarness } from './harness';
import { postsById, publishesPerPost, seedAccounts, seedPosts, statusCounts, UNLIMITED_ENV, waitForPosts } from './publishing-fixtures';

const UPSTREAM_TIMEOUT_MS = 3_000;

function sandboxCalls(harness: WorkerHarness): number {
  const endpoints = harness.sandbox.stats().requests.byEndpoint;
  return Object.values(endpoints).reduce((sum, endpoint) => sum + endpoint.total, 0);
}

async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

describe('a burst of 1,000 posts while the worker process is SIGKILLed 3 times', () => {
  let harness: WorkerHarness;
  beforeAll(async () => {
    harness = await startWorkerHarness({
      // A little upstream latency, so kills can land while calls are in flight (the hard case).
      sandbox: { quotaPerSecond: 0, accountLimits: null, publishDurationMs: 500, latencyMs: 15 },
      env: { ...UNLIMITED_ENV, UPSTREAM_TIMEOUT_MS: String(UPSTREAM_TIMEOUT_MS) },
    });
  });
  afterAll(async () => {
    await harness.close();
  });

  it('never publishes a post twice and leaves every post published or unconfirmed', async () => {
    const owners = await seedAccounts(harness.context, 20);
    const seeded = await seedPosts(harness.context, owners, { perAccount: 50, scheduledAt: new Date(Date.now() + 3_000) });

    let child = harness.spawnWorker();
    const kills: Array<{ afterMs: number; counts: unknown; publishesSoFar: number }> = [];
    for (let kill = 0; kill < 3; kill += 1) {
      // A random moment once this process is actually working (it needs a second or two to boot).
      const before = sandboxCalls(harness);
      await waitFor(() => sandboxCalls(harness) > before || undefined, { timeoutMs: 30_000 }).catch(() => undefined);
      const afterMs = 100 + Math.floor(Math.random() * 1_500);
      await sleep(afterMs);
      kills.push({ afterMs, counts: await statusCounts(harness.context), publishesSoFar: harness.sandbox.stats().publishes.length });
      await killHard(child);
      child = harness.spawnWorker();
    }

    const finalCounts = await waitForPosts(harness.context, { timeoutMs: 100_000 });
    await killHard(child);

    const perPost = publishesPerPost(harness.sandbox.stats(), seeded, owners);
    const rows = await postsById(harness.context, seeded.map((post) => post.id));
    const outcome = { published: 0, unconfirmedSent: 0, unconfirmedNotSent: 0, other: 0, duplicates: 0 };
    for (const row of rows) {
      const count = perPost.get(row.id) ?? 0;
      if (count > 1) outcome.duplicates += 1;
      if (row.status === 'published') {
        expect(count).toBe(1);
        outcome.published += 1;
      } else if (row.status === 'unconfirmed') {
        expect(count).toBeLessThanOrEqual(1);
        expect(row.lastErrorCode).toBe('outcome_unknown');
        if (count === 1) outcome.unconfirmedSent += 1;
        else outcome.unconfirmedNotSent += 1;
      } else {
        outcome.other += 1;
      }
    }
    console.log(`sigkill: kills ${JSON.stringify(kills)}; final ${JSON.stringify(finalCounts)}; outcome ${JSON.stringify(outcome)}`);
    expect(outcome.duplicates).toBe(0);
    expect(outcome.other).toBe(0);
    // A kill can only orphan the calls its process had in flight: one per concurrent publish job.
    expect(outcome.unconfirmedSent + outcome.unconfirmedNotSent).toBeLessThanOrEqual(kills.length * Number(UNLIMITED_ENV.PUBLISH_CONCURRENCY));
    expect(outcome.published + outcome.unconfirmedSent + outcome.unconfirmedNotSent).toBe(1_000);
  });

  it('leaves nothing unconfirmed when the worker is stopped gracefully (SIGTERM) mid-burst', async () => {
    const owners = await seedAccounts(harness.context, 10, 'graceful');
    const seeded = await seedPosts(harness.context, owners, { perAccount: 30, scheduledAt: new Date(Date.now() + 3_000) });
    const ids = new Set(seeded.map((post) => post.id));
    let child = harness.spawnWorker();
    const before = sandboxCalls(harness);
    await waitFor(() => sandboxCalls(harness) > before + 20 || undefined, { timeoutMs: 30_000 });
    await signalAndWait(child, 'SIGTERM', 30_000);
    child = harness.spawnWorker();
    await waitFor(
      async () => {
        const rows = await postsById(harness.context, [...ids]);
        return rows.every((row) => row.status === 'published' || row.status === 'unconfirmed') ? rows : undefined;
      },
      { timeoutMs: 60_000 },
    );
    await killHard(child);
    const rows = await postsById(harness.context, [...ids]);
    expect(rows.filter((row) => row.status !== 'published').map((row) => row.status)).toEqual([]);
    expect([...publishesPerPost(harness.sandbox.stats(), seeded, owners).values()].filter((count) => count !== 1)).toEqual([]);
  });
});

import { startSandbox } from '@pubcrawl/sandbox';
import { TikApiClient } from '@pubcrawl/tiktok';

/**
 * A user's followers in upstream order, read from a sandbox of its own: the data is a pure function
 * of the name, so a second instance lists the same followers without touching the counters of the
 * one under test.
 */
export async function upstreamFollowerIds(username: string): Promise<string[]> {
  const sandbox = await startSandbox({ config: { quotaPerSecond: 0 } });
  const client = new TikApiClient({ baseUrl: sandbox.url, apiKey: 'expectation' });
  try {
    const { secUid } = await client.checkUser(username);
    const ids: string[] = [];
    for await (const page of client.iterateFollowers({ secUid })) for (const item of page.items) ids.push(item.user.id);
    return ids;
  } finally {
    await client.close();
    await sandbox.close();
  }
}

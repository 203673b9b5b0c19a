import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { childFor, createLogger } from '../src/index';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, destination };
}

describe('logger', () => {
  it('redacts every secret wherever a call site puts it', () => {
    const { lines, destination } = capture();
    const logger = createLogger({ name: 't', destination });
    logger.info(
      {
        req: { headers: { authorization: 'Bearer s3cret-bearer', 'x-api-key': 's3cret-api', 'x-account-key': 's3cret-account' } },
        headers: { 'X-API-KEY': 's3cret-upper' },
        account: { credentials: { accountKey: 's3cret-nested' }, password: 's3cret-password' },
        env: { API_KEYS: 's3cret-keys', CREDENTIALS_KEY: 's3cret-ckey', WEBHOOK_SECRET: 's3cret-webhook', TIKTOK_CLIENT_SECRET: 's3cret-tiktok' },
        // A TikTok error keeps its answer's body; a token answer's body holds the tokens.
        err: { body: { access_token: 's3cret-access', refresh_token: 's3cret-refresh' } },
        tokens: { accessToken: 's3cret-access-camel', refreshToken: 's3cret-refresh-camel' },
      },
      'request',
    );
    const line = lines.join('');
    expect(line).not.toMatch(/s3cret/);
    expect(line).toContain('[redacted]');
  });

  it('carries job, queue, post and crawl ids on child loggers', () => {
    const { lines, destination } = capture();
    const child = childFor(createLogger({ name: 't', destination }), { jobId: 'j1', queue: 'publish', postId: 'p1', crawlId: undefined });
    child.info('hello');
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ jobId: 'j1', queue: 'publish', postId: 'p1', msg: 'hello' });
    expect(JSON.parse(lines[0] ?? '{}')).not.toHaveProperty('crawlId');
  });
});

import { findAccountCredentials, type Executor } from '@pubcrawl/db';
import { invalidInput } from '../errors';

/**
 * An authenticated crawl needs a TikAPI account that has an account key to send, or every page (or
 * every tick of a schedule) would fail. Errors name `field`: `accountId` for POST /v1/crawls,
 * `crawl.accountId` for a schedule's crawl.
 */
export async function assertCrawlAccount(executor: Executor, accountId: string, field: string): Promise<void> {
  const account = await findAccountCredentials(executor, accountId);
  if (account === null) throw invalidInput(`Unknown ${field}`, { [field]: 'no account has this id' });
  if (account.status === 'deleted') throw invalidInput('The account was deleted', { [field]: 'is a deleted account' });
  if (account.provider !== 'tikapi') throw invalidInput('The account is not a TikAPI account', { [field]: `is a ${account.provider} account; crawls need a tikapi account` });
  if (account.credentialsEncrypted === null) throw invalidInput('The account has no account key', { [field]: 'has no credentials; add its TikAPI account key first' });
}

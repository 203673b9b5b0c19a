import { accountNumber } from './data';

/**
 * Account keys in one namespace for both APIs: the TikAPI `X-ACCOUNT-KEY` and the posting API's
 * `accountId` name the same account, so expiring `acct_7` breaks both, like a revoked TikTok login.
 */
export class AccountSessions {
  private readonly expired = new Set<string>();

  expire(key: string): void {
    this.expired.add(key);
  }

  restore(key: string): void {
    this.expired.delete(key);
  }

  isExpired(key: string): boolean {
    return this.expired.has(key);
  }

  clear(): void {
    this.expired.clear();
  }
}

export interface LinkedAccount {
  accountId: string;
  display_name: string;
  username: string;
}

/** Always listed by `GET /api/content/accounts`, so a fresh sandbox has something to pick from. */
export const DEMO_ACCOUNT_IDS = ['acct_100', 'acct_1000', 'acct_100000'] as const;

export function describeAccount(accountId: string): LinkedAccount {
  const n = accountNumber(accountId);
  const username =
    n === null
      ? accountId
          .toLowerCase()
          .replace(/[^a-z0-9_.]/g, '_')
          .slice(0, 24) || 'account'
      : `user_${n}`;
  return { accountId, display_name: `Sandbox ${accountId}`, username };
}

/** Accounts that posted through the sandbox, in first-seen order, after the demo ones. */
export class LinkedAccounts {
  private readonly seen = new Set<string>();

  remember(accountId: string): void {
    this.seen.add(accountId);
  }

  list(): LinkedAccount[] {
    const ids = new Set<string>([...DEMO_ACCOUNT_IDS, ...this.seen]);
    return [...ids].map(describeAccount);
  }

  clear(): void {
    this.seen.clear();
  }
}

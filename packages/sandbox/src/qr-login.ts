import { createHash, randomBytes } from 'node:crypto';
import { describeAccount, type ProviderAccount } from './accounts';

export type QrStatus = 'new' | 'scanned' | 'confirmed' | 'expired' | 'utilised';

/** Seed 004: a code lives 300 s. */
export const QR_TTL_S = 300;

/**
 * The admin actions and the states each may start from: the QR state machine, in one place. A
 * confirm straight from `new` is allowed because scripts rarely care to model the scan. `confirmed`
 * becomes `utilised` only through `check`, and `new`/`scanned` also lapse to `expired` with time.
 */
export const QR_TRANSITIONS = {
  scan: { from: ['new'], to: 'scanned' },
  confirm: { from: ['new', 'scanned'], to: 'confirmed' },
  expire: { from: ['new', 'scanned'], to: 'expired' },
} as const satisfies Record<string, { from: readonly QrStatus[]; to: QrStatus }>;
export type QrAction = keyof typeof QR_TRANSITIONS;

export const QR_ALREADY_USED = 'QR code has already been used.';

/** A 1×1 PNG: clients only ever display it, and a real QR encoder is not worth a dependency. */
export const QR_IMAGE = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const TOKEN_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const TOKEN_LENGTH = 32;
/** Enough for any test run; a runaway poller loop cannot grow the sandbox without bound. */
const MAX_LOGINS = 10_000;

export interface QrLogin {
  token: string;
  uniqueId: string;
  /** Monotonic ms on the state's clock. */
  expiresAt: number;
  status: QrStatus;
  /** Set on confirm; handed out by the first check that sees it. */
  account: ProviderAccount | null;
  sequence: number;
}

export type QrRefusal = { ok: false; reason: 'not_found' } | { ok: false; reason: 'conflict'; status: QrStatus };
export type QrTransition = { ok: true; login: QrLogin } | QrRefusal;

/** What `POST /api/content/qr-login/check` reports, before it is put on the wire. */
export type QrCheck = { status: QrStatus; login: QrLogin; account: ProviderAccount | null };

function newToken(): string {
  const bytes = randomBytes(TOKEN_LENGTH);
  let token = '';
  // 256 % 36 leaves a small bias towards the first letters; irrelevant for a sandbox token.
  for (const byte of bytes) token += TOKEN_ALPHABET[byte % TOKEN_ALPHABET.length] ?? 'A';
  return token;
}

/** A uuid-shaped id derived from the token, so the same confirm in a replayed script names the same account. */
function accountIdFor(token: string): string {
  const hex = createHash('sha256').update(`qr-account:${token}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** The account a confirm links: the given names where present, derived ones otherwise. */
export function confirmedAccount(token: string, input: { accountId?: string | undefined; username?: string | undefined; display_name?: string | undefined }): ProviderAccount {
  const accountId = input.accountId ?? accountIdFor(token);
  const username = input.username ?? `qr_${accountId.replace(/[^a-zA-Z0-9]/g, '').slice(0, 8).toLowerCase()}`;
  return describeAccount(accountId, { username, display_name: input.display_name ?? `Sandbox ${username}` });
}

export class QrLogins {
  private readonly logins = new Map<string, QrLogin>();
  private sequence = 0;

  constructor(private readonly now: () => number) {}

  request(uniqueId: string | undefined): QrLogin {
    const token = newToken();
    this.sequence++;
    const login: QrLogin = {
      token,
      uniqueId: uniqueId ?? `session_${token.slice(0, 12).toLowerCase()}`,
      expiresAt: this.now() + QR_TTL_S * 1000,
      status: 'new',
      account: null,
      sequence: this.sequence,
    };
    this.logins.set(token, login);
    if (this.logins.size > MAX_LOGINS) {
      const oldest = this.logins.keys().next();
      if (oldest.done !== true) this.logins.delete(oldest.value);
    }
    return login;
  }

  /** The provider's answer to a poll. The first poll that sees `confirmed` uses the code up. */
  check(token: string): QrCheck | null {
    const login = this.current(token);
    if (login === null) return null;
    if (login.status !== 'confirmed') return { status: login.status, login, account: null };
    login.status = 'utilised';
    return { status: 'confirmed', login, account: login.account };
  }

  apply(token: string, action: QrAction, account?: ProviderAccount): QrTransition {
    const login = this.current(token);
    if (login === null) return { ok: false, reason: 'not_found' };
    const transition = QR_TRANSITIONS[action];
    if (!(transition.from as readonly QrStatus[]).includes(login.status)) return { ok: false, reason: 'conflict', status: login.status };
    login.status = transition.to;
    if (action === 'confirm' && account !== undefined) login.account = account;
    return { ok: true, login };
  }

  /** Codes still waiting for the user (`new` or `scanned`), newest first. */
  pending(): QrLogin[] {
    const pending: QrLogin[] = [];
    for (const token of this.logins.keys()) {
      const login = this.current(token);
      if (login !== null && (login.status === 'new' || login.status === 'scanned')) pending.push(login);
    }
    return pending.sort((a, b) => b.sequence - a.sequence);
  }

  /** Wall-clock expiry for display; the state's clock is monotonic, so it is translated at read time. */
  expiresAtIso(login: QrLogin): string {
    return new Date(Date.now() + (login.expiresAt - this.now())).toISOString();
  }

  clear(): void {
    this.logins.clear();
  }

  /** The login with time applied: a code nobody confirmed in time is expired from then on. */
  private current(token: string): QrLogin | null {
    const login = this.logins.get(token);
    if (login === undefined) return null;
    if ((login.status === 'new' || login.status === 'scanned') && this.now() >= login.expiresAt) login.status = 'expired';
    return login;
  }
}

import { createHash, randomBytes } from 'node:crypto';

export interface PkcePair {
  codeVerifier: string;
  codeChallenge: string;
  codeChallengeMethod: 'S256';
}

/**
 * A PKCE verifier (43 unreserved characters, RFC 7636's minimum length, 256 bits of entropy) and
 * its S256 challenge. `hex` is the encoding TikTok's desktop Login Kit guide shows; RFC 7636's
 * `base64url` is there for servers that follow the RFC. Default `hex`.
 */
export function createPkcePair(options: { encoding?: 'hex' | 'base64url' } = {}): PkcePair {
  const codeVerifier = randomBytes(32).toString('base64url');
  return { codeVerifier, codeChallenge: pkceChallenge(codeVerifier, options.encoding ?? 'hex'), codeChallengeMethod: 'S256' };
}

export function pkceChallenge(codeVerifier: string, encoding: 'hex' | 'base64url' = 'hex'): string {
  return createHash('sha256').update(codeVerifier).digest(encoding);
}

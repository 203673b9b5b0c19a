import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { decodeKey } from '@pubcrawl/config';

/**
 * Account credentials (TikAPI account keys and the like) are stored encrypted with AES-256-GCM.
 * Format: `v1:<iv>:<tag>:<ciphertext>`, each base64. The version prefix lets us rotate schemes.
 */
export class CredentialsCipher {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('credentials key must be 32 bytes');
    this.key = key;
  }

  /**
   * Development convenience: without CREDENTIALS_KEY, derive a stable key from the database URL so
   * a local restart can still decrypt what it stored. Anyone with that URL can derive it too, so
   * production never gets here: every process that builds a cipher parses its environment with
   * @pubcrawl/config's requireCredentialsKeyInProduction and exits at start without a key.
   */
  static fromConfig(credentialsKey: string | undefined, fallbackSeed: string): CredentialsCipher {
    const decoded = credentialsKey === undefined ? null : decodeKey(credentialsKey);
    if (decoded) return new CredentialsCipher(decoded);
    return new CredentialsCipher(Buffer.from(hkdfSync('sha256', fallbackSeed, 'pubcrawl', 'credentials-dev-key', 32)));
  }

  encrypt(value: unknown): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64'), cipher.getAuthTag().toString('base64'), data.toString('base64')].join(':');
  }

  decrypt(stored: string): unknown {
    const [version, iv, tag, data] = stored.split(':');
    if (version !== 'v1' || iv === undefined || tag === undefined || data === undefined) {
      throw new Error('unrecognised credentials format');
    }
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64'));
    decipher.setAuthTag(Buffer.from(tag, 'base64'));
    const plain = Buffer.concat([decipher.update(Buffer.from(data, 'base64')), decipher.final()]);
    return JSON.parse(plain.toString('utf8')) as unknown;
  }
}

import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

/** SHA-256 hex. API secrets are 256-bit random values, so a fast hash is enough to store them for lookup. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export function hmacSha256(key: Buffer | string, message: string): Buffer {
  return createHmac('sha256', key).update(message).digest();
}

/** Compares two digests in time that does not depend on where they differ. */
export function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The keys Sigil derives from the master key. Each purpose gets its own subkey (HKDF), so that a
 * leak of one derived key reveals nothing about the others.
 */
export class Keyring {
  readonly otpKey: Buffer;
  /** Keys the secret tokens in the delivery-receipt URLs that Sigil gives SMS vendors. */
  readonly receiptKey: Buffer;
  private readonly encryptionKey: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length < 32) throw new Error('The master key must be at least 32 bytes');
    this.otpKey = derive(masterKey, 'sigil/otp-hmac');
    this.encryptionKey = derive(masterKey, 'sigil/encryption');
    this.receiptKey = derive(masterKey, 'sigil/receipt-url');
  }

  /**
   * AES-256-GCM. `context` is bound as additional data (for example `tenant:<id>:sms-providers`), so a
   * ciphertext copied into another row or tenant fails to decrypt instead of being silently accepted.
   */
  encrypt(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `v1.${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  decrypt(ciphertext: string, context: string): string {
    if (!ciphertext.startsWith('v1.')) throw new Error('Unknown ciphertext format');
    const raw = Buffer.from(ciphertext.slice(3), 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.encryptionKey, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(raw.subarray(12, 28));
    return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
  }
}

function derive(masterKey: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), info, 32));
}

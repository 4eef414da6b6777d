import { hash, verify } from '@node-rs/argon2';

/** OWASP's argon2id parameters (Password Storage Cheat Sheet): 19 MiB, 2 passes, 1 lane. */
/** `algorithm: 2` is Algorithm.Argon2id, a const enum that isolated modules cannot import. */
const OPTIONS = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

/**
 * Passwords, hashed with argon2id. `verify` of an unknown account runs against a dummy hash of the same
 * parameters, so that an unknown email costs what a wrong password costs and timing tells nothing.
 */
export class Passwords {
  private dummy: Promise<string> | undefined;

  hash(password: string): Promise<string> {
    return hash(password, OPTIONS);
  }

  /** False for a missing hash too, after the same work as a real comparison. */
  async verify(storedHash: string | null | undefined, password: string): Promise<boolean> {
    if (!storedHash) {
      this.dummy ??= hash('sigil-dummy-password-for-timing', OPTIONS);
      await verify(await this.dummy, password).catch(() => false);
      return false;
    }
    try {
      return await verify(storedHash, password);
    } catch {
      return false;
    }
  }
}

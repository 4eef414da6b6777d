import { randomBytes, randomInt, randomUUID } from 'node:crypto';

/** Randomness is injected so that tests can make codes predictable; production uses the CSPRNG. */
export interface Random {
  /** A string of `length` decimal digits, uniform over all 10^length values. */
  digits(length: number): string;
  uuid(): string;
  /** `bytes` random bytes as base64url text, for secrets. */
  token(bytes: number): string;
}

export const cryptoRandom: Random = {
  digits(length) {
    // randomInt rejects and redraws out-of-range samples, so there is no modulo bias.
    // Draw in chunks of up to 6 digits: randomInt's range must stay below 2^48.
    let out = '';
    while (out.length < length) {
      const chunk = Math.min(6, length - out.length);
      out += randomInt(0, 10 ** chunk)
        .toString()
        .padStart(chunk, '0');
    }
    return out;
  },
  uuid: () => randomUUID(),
  token: (bytes) => randomBytes(bytes).toString('base64url'),
};

import { iso } from '../../lib/clock.js';
import type { SigningKeyRow } from '../../storage/schema.js';

/** A token-signing key as the Management API lists it: its public facts, never its private key. */
export interface SigningKeyView {
  keyId: string;
  algorithm: 'ES256';
  status: 'active' | 'retired';
  createdAt: string;
  retiredAt: string | null;
  /** The key that signs new tokens: the newest active one. Other active keys still verify. */
  current: boolean;
}

export function signingKeyView(row: SigningKeyRow, currentKid: string | undefined): SigningKeyView {
  return {
    keyId: row.kid,
    algorithm: 'ES256',
    status: row.retired_at === null ? 'active' : 'retired',
    createdAt: iso(row.created_at),
    retiredAt: row.retired_at === null ? null : iso(row.retired_at),
    current: row.kid === currentKid,
  };
}

import { iso } from '../../lib/clock.js';
import type { ApiKeyKind, ApiKeyRow } from '../../storage/schema.js';

/** The rules of an API key's life (docs/api-keys.md), apart from storage: prefixes, hints, status. */

export const KEY_PREFIX: Record<ApiKeyKind, string> = { server: 'sk_', management: 'mk_' };

/** A rotation's grace period may last up to a week, in minutes. */
export const MAX_GRACE_MINUTES = 10_080;

/**
 * Keys of one kind that may be live at once. Every live server key signs each outgoing webhook, so the
 * X-Signature-V2 header grows with them; twenty is far beyond any rotation and keeps the header small.
 */
export const MAX_LIVE_KEYS_PER_KIND = 20;

/** How often `last_used_at` is written per key and node: often enough to read, rare enough to cost nothing. */
export const LAST_USED_WRITE_INTERVAL_MS = 60_000;

type ApiKeyStatus = 'active' | 'expiring' | 'revoked' | 'expired';

/** A key as the Management API lists it: never its secret, nor anything from which to find it. */
export interface ApiKeyView {
  keyId: string;
  kind: ApiKeyKind;
  name: string | null;
  hint: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  status: ApiKeyStatus;
}

/** A key just made: its view and its secret, which is shown this once and never stored in plain text. */
export interface CreatedApiKey extends ApiKeyView {
  secret: string;
}

/** The secret's prefix and its last four characters: enough to recognise, far too little to guess (24 of 256 bits). */
export function keyHint(kind: ApiKeyKind, secret: string): string {
  return `${KEY_PREFIX[kind]}…${secret.slice(-4)}`;
}

function keyStatus(row: Pick<ApiKeyRow, 'revoked_at' | 'expires_at'>, now: number): ApiKeyStatus {
  if (row.revoked_at !== null) return 'revoked';
  if (row.expires_at === null) return 'active';
  return row.expires_at > now ? 'expiring' : 'expired';
}

export function keyView(row: ApiKeyRow, now: number): ApiKeyView {
  return {
    keyId: row.id,
    kind: row.kind,
    name: row.name,
    hint: row.hint,
    createdAt: iso(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : iso(row.last_used_at),
    expiresAt: row.expires_at === null ? null : iso(row.expires_at),
    revokedAt: row.revoked_at === null ? null : iso(row.revoked_at),
    status: keyStatus(row, now),
  };
}

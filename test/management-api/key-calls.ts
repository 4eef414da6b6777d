/**
 * What the API key and signing key tests share: Management API calls that check every answer for
 * secrets, and the official node SDK on a given key.
 */
import { Authsignal, AuthsignalError } from '@authsignal/node';
import { expect } from 'vitest';
import type { TestServer } from '../helpers/server.js';

export interface KeyView {
  keyId: string;
  kind: 'server' | 'management';
  name: string | null;
  hint: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  status: 'active' | 'expiring' | 'revoked' | 'expired';
}
export type CreatedKey = KeyView & { secret: string };

export interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read fields of several answer shapes directly.
  body: any;
  text: string;
}

export const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

/**
 * Management API calls against `server()`. Every secret a test has seen is remembered; no answer may hold
 * one, except that a create or rotate answer holds its own new secret (and no other).
 */
export function keyCalls(server: () => TestServer) {
  const secrets = new Set<string>();
  const remember = (...values: string[]) => {
    for (const v of values) secrets.add(v);
  };
  async function call(key: string, method: string, path: string, body?: unknown): Promise<Answer> {
    const res = await fetch(`${server().apiUrl}/management${path}`, {
      method,
      headers: {
        authorization: basic(key),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const parsed = text ? JSON.parse(text) : undefined;
    const own: unknown = parsed?.secret;
    for (const secret of secrets) {
      if (secret !== own) expect(text, `${method} ${path} shows a secret`).not.toContain(secret);
    }
    if (typeof own === 'string') remember(own);
    return { status: res.status, body: parsed, text };
  }
  /** Lists the tenant's keys; fails unless 200 and unless no entry has a secret member. */
  async function list(key: string): Promise<KeyView[]> {
    const res = await call(key, 'GET', '/api-keys');
    expect(res.status, res.text).toBe(200);
    for (const entry of res.body as Record<string, unknown>[]) expect(entry).not.toHaveProperty('secret');
    return res.body as KeyView[];
  }
  async function create(key: string, body: unknown): Promise<CreatedKey> {
    const res = await call(key, 'POST', '/api-keys', body);
    expect(res.status, res.text).toBe(200);
    return res.body as CreatedKey;
  }
  async function rotate(key: string, keyId: string, body: unknown = {}): Promise<CreatedKey> {
    const res = await call(key, 'POST', `/api-keys/${keyId}/rotate`, body);
    expect(res.status, res.text).toBe(200);
    return res.body as CreatedKey;
  }
  return { call, list, create, rotate, remember };
}

/** The official node SDK with `apiSecretKey`; `works` is whether the Server API accepts the key. */
export function sdkWith(t: TestServer, apiSecretKey: string) {
  const sdk = new Authsignal({ apiSecretKey, apiUrl: t.apiUrl, retries: 0 });
  return {
    sdk,
    async works(): Promise<boolean> {
      try {
        await sdk.getUser({ userId: 'key-check' });
        return true;
      } catch (err) {
        if (err instanceof AuthsignalError && err.statusCode === 401) return false;
        throw err;
      }
    },
  };
}

/** Polls until `check` passes: last_used_at is written off the request path, so it lands a moment later. */
export async function eventually(check: () => Promise<void>, timeoutMs = 3_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

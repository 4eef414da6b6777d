import { describe, expect, it } from 'vitest';
import { ApiError } from '../../errors.js';
import { enrollmentScopes, grantedScopes, MANAGE_SCOPE, parseScopes, requestScopes } from './scopes.js';

describe('scopes', () => {
  it('parses a space-separated string, and no scope as none', () => {
    expect(parseScopes('add:authenticators  update:authenticators')).toEqual({
      ok: true,
      scopes: new Set(['add:authenticators', 'update:authenticators']),
    });
    for (const none of [undefined, null, '']) expect(parseScopes(none)).toEqual({ ok: true, scopes: new Set() });
  });

  it('returns unknown scopes and non-strings as errors, which requestScopes makes a 400', () => {
    expect(parseScopes('read:authenticators admin')).toEqual({ ok: false, error: 'Unknown scope "admin"' });
    expect(parseScopes(42)).toEqual({ ok: false, error: 'scope must be a string' });
    let err: unknown;
    try {
      requestScopes('admin');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: 'invalid_request', description: 'Unknown scope "admin"' });
  });

  it('reads stored scopes leniently and picks the ones that enroll', () => {
    expect(grantedScopes(null).size).toBe(0);
    expect(grantedScopes('bogus').size).toBe(0);
    expect(enrollmentScopes(grantedScopes(MANAGE_SCOPE))).toEqual(['add:authenticators', 'update:authenticators']);
    expect(enrollmentScopes(grantedScopes('read:authenticators'))).toEqual([]);
  });
});

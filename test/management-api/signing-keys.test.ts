import { VerificationMethod } from '@authsignal/node';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';
import { keyCalls } from './key-calls.js';

interface SigningKeyView {
  keyId: string;
  algorithm: 'ES256';
  status: 'active' | 'retired';
  createdAt: string;
  retiredAt: string | null;
  current: boolean;
}

describe.each(databases)('signing keys through the Management API ($name)', (db) => {
  let t: TestServer;
  const api = keyCalls(() => t);
  beforeAll(async () => {
    t = await startTestServer(db);
    api.remember(t.tenant.apiSecretKey, t.tenant.managementSecretKey);
  });
  afterAll(() => t.close());

  async function tenant() {
    const { tenant, sdk } = await t.newTenant();
    api.remember(tenant.apiSecretKey, tenant.managementSecretKey);
    return { mk: tenant.managementSecretKey, sdk, tenantId: tenant.tenantId };
  }
  async function list(mk: string): Promise<SigningKeyView[]> {
    const res = await api.call(mk, 'GET', '/signing-keys');
    expect(res.status, res.text).toBe(200);
    // Only public facts: no PEM, no private JWK member.
    expect(res.text).not.toMatch(/PRIVATE KEY|"d":/);
    return res.body as SigningKeyView[];
  }
  /** A token for a passed SMS challenge, signed with the tenant's current key. */
  async function succeededToken(sdk: TestServer['sdk'], userId: string): Promise<string> {
    const to = phone();
    const { challengeId } = await sdk.challenge({
      verificationMethod: VerificationMethod.SMS,
      action: 'signIn',
      phoneNumber: to,
    });
    await sdk.verify({ challengeId, verificationCode: await t.lastCode(to) });
    return (await sdk.claimChallenge({ challengeId, userId })).token;
  }
  const jwksKids = async (tenantId: string) =>
    (
      (await (await fetch(`${t.apiUrl}/client/public/${tenantId}/.well-known/jwks`)).json()) as {
        keys: { kid: string }[];
      }
    ).keys
      .map((k) => k.kid)
      .sort();

  it('lists the one key a tenant starts with: ES256, active, current', async () => {
    const { mk, sdk, tenantId } = await tenant();
    const [only, ...rest] = await list(mk);
    expect(rest).toEqual([]);
    expect(only).toEqual({
      keyId: expect.any(String),
      algorithm: 'ES256',
      status: 'active',
      createdAt: expect.any(String),
      retiredAt: null,
      current: true,
    });
    expect(await jwksKids(tenantId)).toEqual([only?.keyId]);
    expect(decodeProtectedHeader(await succeededToken(sdk, 'u-1')).kid).toBe(only?.keyId);
  });

  it('creates a key that signs new tokens while older tokens still verify, then retires the old one', async () => {
    const { mk, sdk, tenantId } = await tenant();
    const [old] = (await list(mk)) as [SigningKeyView];
    const before = await succeededToken(sdk, 'u-before');

    const created = await api.call(mk, 'POST', '/signing-keys');
    expect(created.status, created.text).toBe(200);
    expect(created.body).toMatchObject({ algorithm: 'ES256', status: 'active', current: true, retiredAt: null });
    const fresh = created.body as SigningKeyView;
    expect(fresh.keyId).not.toBe(old.keyId);
    const keys = await list(mk);
    expect(keys.map((k) => [k.keyId, k.status, k.current])).toEqual([
      [fresh.keyId, 'active', true],
      [old.keyId, 'active', false],
    ]);
    expect(await jwksKids(tenantId)).toEqual([old.keyId, fresh.keyId].sort());
    const after = await succeededToken(sdk, 'u-after');
    expect(decodeProtectedHeader(after).kid).toBe(fresh.keyId);

    const retired = await api.call(mk, 'POST', `/signing-keys/${old.keyId}/retire`);
    expect(retired.status, retired.text).toBe(200);
    expect(retired.body).toMatchObject({ keyId: old.keyId, status: 'retired', current: false });
    expect(retired.body.retiredAt).toEqual(expect.any(String));
    expect(await jwksKids(tenantId)).toEqual([fresh.keyId]);
    expect(await sdk.validateChallenge({ token: before })).toMatchObject({ isValid: false });
    expect(await sdk.validateChallenge({ token: after })).toMatchObject({ isValid: true });
    // The list keeps the retired key, and retiring it again changes nothing.
    expect((await list(mk)).map((k) => k.status)).toEqual(['active', 'retired']);
    const again = await api.call(mk, 'POST', `/signing-keys/${old.keyId}/retire`);
    expect(again).toMatchObject({ status: 200, body: { status: 'retired', retiredAt: retired.body.retiredAt } });
  });

  it('refuses to retire the only active key (409) and answers 404 for a key it does not know', async () => {
    const { mk } = await tenant();
    const [only] = (await list(mk)) as [SigningKeyView];
    const res = await api.call(mk, 'POST', `/signing-keys/${only.keyId}/retire`);
    expect(res).toMatchObject({ status: 409, body: { errorCode: 'conflict' } });
    expect((await list(mk))[0]?.status).toBe('active');
    const unknown = await api.call(mk, 'POST', '/signing-keys/00000000-0000-4000-8000-000000000000/retire');
    expect(unknown).toMatchObject({ status: 404, body: { errorCode: 'not_found' } });
  });

  it('lets only one of two simultaneous retirements of the last two active keys through', async () => {
    const { mk } = await tenant();
    expect((await api.call(mk, 'POST', '/signing-keys')).status).toBe(200);
    const kids = (await list(mk)).map((k) => k.keyId);
    const answers = await Promise.all(kids.map((kid) => api.call(mk, 'POST', `/signing-keys/${kid}/retire`)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const active = (await list(mk)).filter((k) => k.status === 'active');
    expect(active).toHaveLength(1);
    expect(active[0]?.current).toBe(true);
  });

  it("keeps tenants apart: tenant A's signing keys are 404 for tenant B and absent from its list", async () => {
    const a = await tenant();
    const b = await tenant();
    expect((await api.call(a.mk, 'POST', '/signing-keys')).status).toBe(200);
    const aKeys = await list(a.mk);
    for (const key of aKeys) {
      const res = await api.call(b.mk, 'POST', `/signing-keys/${key.keyId}/retire`);
      expect(res).toMatchObject({ status: 404, body: { errorCode: 'not_found' } });
    }
    const bIds = (await list(b.mk)).map((k) => k.keyId);
    for (const key of aKeys) expect(bIds).not.toContain(key.keyId);
    expect((await list(a.mk)).every((k) => k.status === 'active')).toBe(true);
  });

  it('needs the management key: no key is 401, a server key is 401', async () => {
    expect((await fetch(`${t.apiUrl}/management/signing-keys`)).status).toBe(401);
    const res = await api.call(t.tenant.apiSecretKey, 'GET', '/signing-keys');
    expect(res).toMatchObject({ status: 401, body: { errorCode: 'unauthorized' } });
  });
});

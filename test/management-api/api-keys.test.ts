import { createHash, randomUUID } from 'node:crypto';
import { type Kysely, type Migration, Migrator } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { migrate, openDatabase } from '../../src/storage/db.js';
import * as m001 from '../../src/storage/migrations/001_initial.js';
import * as m002 from '../../src/storage/migrations/002_adaptive_mfa.js';
import * as m003 from '../../src/storage/migrations/003_number_limits.js';
import * as m004 from '../../src/storage/migrations/004_sms_delivery.js';
import * as m005 from '../../src/storage/migrations/005_sessions.js';
import * as m006 from '../../src/storage/migrations/006_session_purge.js';
import * as m007 from '../../src/storage/migrations/007_abuse_defence.js';
import { databases } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { basic, eventually, type KeyView, keyCalls, sdkWith } from './key-calls.js';

const MINUTE = 60_000;

describe.each(databases)('API keys through the Management API ($name)', (db) => {
  let t: TestServer;
  const clock = new ManualClock(Date.UTC(2026, 5, 1));
  const api = keyCalls(() => t);
  beforeAll(async () => {
    t = await startTestServer(db, {}, { clock });
    api.remember(t.tenant.apiSecretKey, t.tenant.managementSecretKey);
  });
  afterAll(() => t.close());

  /** A new tenant whose secrets every answer is checked against. */
  async function tenant() {
    const { tenant } = await t.newTenant();
    api.remember(tenant.apiSecretKey, tenant.managementSecretKey);
    return { mk: tenant.managementSecretKey, sk: tenant.apiSecretKey, tenantId: tenant.tenantId };
  }
  const byId = (keys: KeyView[], keyId: string) => keys.find((k) => k.keyId === keyId);

  it('GET /tenant names the tenant and the URLs to give the SDKs, and the JWKS URL serves its keys', async () => {
    const res = await api.call(t.tenant.managementSecretKey, 'GET', '/tenant');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      tenantId: t.tenant.tenantId,
      name: 'test',
      createdAt: new Date(clock.now()).toISOString(),
      urls: {
        serverApi: t.apiUrl,
        clientApi: t.apiUrl,
        managementApi: `${t.apiUrl}/management`,
        jwks: `${t.apiUrl}/client/public/${t.tenant.tenantId}/.well-known/jwks`,
      },
    });
    const jwks = (await (await fetch(res.body.urls.jwks)).json()) as { keys: unknown[] };
    expect(jwks.keys).toHaveLength(1);
    expect((await fetch(`${t.apiUrl}/management/tenant`)).status).toBe(401);
  });

  it("lists a new tenant's two keys with hints of prefix and last 4 characters, never a secret", async () => {
    const { mk, sk } = await tenant();
    const keys = await api.list(mk);
    expect(keys.map((k) => k.kind).sort()).toEqual(['management', 'server']);
    for (const { lastUsedAt, ...key } of keys) {
      const secret = key.kind === 'server' ? sk : mk;
      if (key.kind === 'server') expect(lastUsedAt).toBeNull();
      expect(key).toEqual({
        keyId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        kind: key.kind,
        name: null,
        hint: `${secret.slice(0, 3)}…${secret.slice(-4)}`,
        createdAt: expect.any(String),
        expiresAt: null,
        revokedAt: null,
        status: 'active',
      });
      // The hint holds the prefix, an ellipsis and 4 characters: nothing more of the secret.
      expect(key.hint).toHaveLength(8);
      expect(secret.length).toBeGreaterThan(40);
    }
  });

  it('creates a server key shown once that the official SDK can use at once, and records its use', async () => {
    const { mk, sk } = await tenant();
    const created = await api.create(mk, { kind: 'server', name: 'billing backend' });
    expect(created).toMatchObject({
      kind: 'server',
      name: 'billing backend',
      status: 'active',
      lastUsedAt: null,
      secret: expect.stringMatching(/^sk_[A-Za-z0-9_-]{43}$/),
      hint: `sk_…${created.secret.slice(-4)}`,
    });
    expect(created.secret).not.toBe(sk);
    expect(await sdkWith(t, created.secret).works()).toBe(true);
    expect(await sdkWith(t, sk).works()).toBe(true); // the first key still works beside it
    await eventually(async () => {
      expect(byId(await api.list(mk), created.keyId)?.lastUsedAt).toBe(new Date(clock.now()).toISOString());
    });
    // A server key is no management key, nor the reverse.
    expect((await api.call(created.secret, 'GET', '/api-keys')).status).toBe(401);
    expect(await sdkWith(t, mk).works()).toBe(false);
  });

  it('writes last_used_at at most once a minute per key, never on every request', async () => {
    const { mk } = await tenant();
    const { secret, keyId } = await api.create(mk, { kind: 'server' });
    const key = sdkWith(t, secret);
    const lastUsed = async () =>
      (
        await t.server.deps.db
          .selectFrom('api_keys')
          .select('last_used_at')
          .where('id', '=', keyId)
          .executeTakeFirstOrThrow()
      ).last_used_at;
    const first = clock.now();
    expect(await key.works()).toBe(true);
    await eventually(async () => expect(await lastUsed()).toBe(first));
    clock.advance(30_000);
    for (let i = 0; i < 5; i++) expect(await key.works()).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await lastUsed()).toBe(first);
    clock.advance(31_000);
    expect(await key.works()).toBe(true);
    await eventually(async () => expect(await lastUsed()).toBe(first + 61_000));
  });

  it('rotates with a grace period: both keys work until it ends, then the old one gets 401 everywhere', async () => {
    const { mk, sk, tenantId } = await tenant();
    const old = (await api.list(mk)).find((k) => k.kind === 'server') as KeyView;
    const rotated = await api.rotate(mk, old.keyId, { gracePeriodMinutes: 10 });
    const webhookSecrets = async () => (await t.server.deps.tenantService.serverSecrets(tenantId)).sort();
    expect(await webhookSecrets()).toEqual([rotated.secret, sk].sort());
    expect(rotated).toMatchObject({ kind: 'server', status: 'active', secret: expect.stringMatching(/^sk_/) });
    expect(byId(await api.list(mk), old.keyId)).toMatchObject({
      status: 'expiring',
      expiresAt: new Date(clock.now() + 10 * MINUTE).toISOString(),
      revokedAt: null,
    });
    const [before, after] = [sdkWith(t, sk), sdkWith(t, rotated.secret)];
    expect(await before.works()).toBe(true);
    expect(await after.works()).toBe(true);
    clock.advance(10 * MINUTE - 1);
    expect(await before.works()).toBe(true);
    clock.advance(1);
    expect(await before.works()).toBe(false);
    expect(await after.works()).toBe(true);
    expect(await webhookSecrets()).toEqual([rotated.secret]);
    expect(byId(await api.list(mk), old.keyId)?.status).toBe('expired');
    // An ended key cannot be rotated again, nor can one in its grace period.
    expect((await api.call(mk, 'POST', `/api-keys/${old.keyId}/rotate`, {})).status).toBe(409);
    const again = await api.rotate(mk, rotated.keyId, { gracePeriodMinutes: 5 });
    const refused = await api.call(mk, 'POST', `/api-keys/${rotated.keyId}/rotate`, { gracePeriodMinutes: 5 });
    expect(refused).toMatchObject({ status: 409, body: { errorCode: 'conflict' } });
    expect(again.name).toBeNull();
  });

  it('rotates with no grace period: the old key is revoked at once, the new one keeps its name', async () => {
    const { mk } = await tenant();
    const named = await api.create(mk, { kind: 'server', name: 'ci' });
    const rotated = await api.rotate(mk, named.keyId, { gracePeriodMinutes: 0 });
    expect(rotated.name).toBe('ci');
    expect(await sdkWith(t, named.secret).works()).toBe(false);
    expect(await sdkWith(t, rotated.secret).works()).toBe(true);
    expect(byId(await api.list(mk), named.keyId)).toMatchObject({
      status: 'revoked',
      revokedAt: new Date(clock.now()).toISOString(),
    });
    const renamed = await api.rotate(mk, rotated.keyId, { name: 'ci-2' }); // no grace: revoked now too
    expect(renamed.name).toBe('ci-2');
    expect(await sdkWith(t, rotated.secret).works()).toBe(false);
  });

  it('revokes a key: it gets 401 at once, shows as revoked, and revoking it again changes nothing', async () => {
    const { mk, sk } = await tenant();
    const server = (await api.list(mk)).find((k) => k.kind === 'server') as KeyView;
    expect(await api.call(mk, 'DELETE', `/api-keys/${server.keyId}`)).toMatchObject({
      status: 200,
      body: { success: true },
    });
    expect(await sdkWith(t, sk).works()).toBe(false);
    const revoked = byId(await api.list(mk), server.keyId);
    expect(revoked).toMatchObject({ status: 'revoked', revokedAt: new Date(clock.now()).toISOString() });
    clock.advance(1_000);
    expect((await api.call(mk, 'DELETE', `/api-keys/${server.keyId}`)).status).toBe(200);
    expect(byId(await api.list(mk), server.keyId)?.revokedAt).toBe(revoked?.revokedAt);
    expect((await api.call(mk, 'POST', `/api-keys/${server.keyId}/rotate`, {})).status).toBe(409);
  });

  it('refuses to revoke, or rotate without grace, the last active management key (409)', async () => {
    const { mk } = await tenant();
    const only = (await api.list(mk)).find((k) => k.kind === 'management') as KeyView;
    for (const [method, path, body] of [
      ['DELETE', `/api-keys/${only.keyId}`, undefined],
      ['POST', `/api-keys/${only.keyId}/rotate`, {}],
      ['POST', `/api-keys/${only.keyId}/rotate`, { gracePeriodMinutes: 0 }],
    ] as const) {
      const res = await api.call(mk, method, path, body);
      expect(res.status, `${method} ${path}`).toBe(409);
      expect(res.body).toMatchObject({ errorCode: 'conflict', errorDescription: expect.stringMatching(/last active/) });
    }
    expect((await api.list(mk)).every((k) => k.status === 'active')).toBe(true);

    // With a grace period it rotates; the key in its grace period does not count as the one that remains.
    const next = await api.rotate(mk, only.keyId, { gracePeriodMinutes: 5 });
    expect((await api.call(next.secret, 'DELETE', `/api-keys/${next.keyId}`)).status).toBe(409);
    expect((await api.call(next.secret, 'DELETE', `/api-keys/${only.keyId}`)).status).toBe(200);
    expect((await api.call(mk, 'GET', '/api-keys')).status).toBe(401);

    // A second management key makes the first revocable.
    const second = await api.create(next.secret, { kind: 'management', name: 'terraform' });
    expect((await api.call(second.secret, 'DELETE', `/api-keys/${next.keyId}`)).status).toBe(200);
    expect((await api.call(next.secret, 'GET', '/api-keys')).status).toBe(401);
    expect((await api.call(second.secret, 'DELETE', `/api-keys/${second.keyId}`)).status).toBe(409);
  });

  it('lets only one of two simultaneous revocations of the last two management keys through', async () => {
    const { mk, tenantId } = await tenant();
    const first = (await api.list(mk)).find((k) => k.kind === 'management') as KeyView;
    const second = await api.create(mk, { kind: 'management' });
    const answers = await Promise.all(
      [first.keyId, second.keyId].map((keyId) => api.call(second.secret, 'DELETE', `/api-keys/${keyId}`)),
    );
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const active = (await t.server.deps.tenantService.listKeys(tenantId)).filter(
      (k) => k.kind === 'management' && k.status === 'active',
    );
    expect(active).toHaveLength(1);
  });

  it("keeps tenants apart: tenant A's key IDs are 404 for tenant B, and B's list never shows them", async () => {
    const a = await tenant();
    const b = await tenant();
    const aKeys = await api.list(a.mk);
    for (const key of aKeys) {
      for (const [method, path] of [
        ['DELETE', `/api-keys/${key.keyId}`],
        ['POST', `/api-keys/${key.keyId}/rotate`],
      ] as const) {
        const res = await api.call(b.mk, method, path, method === 'POST' ? { gracePeriodMinutes: 1 } : undefined);
        expect(res).toMatchObject({ status: 404, body: { errorCode: 'not_found' } });
      }
    }
    const bIds = (await api.list(b.mk)).map((k) => k.keyId);
    for (const key of aKeys) expect(bIds).not.toContain(key.keyId);
    expect((await api.list(a.mk)).map((k) => [k.keyId, k.status])).toEqual(aKeys.map((k) => [k.keyId, 'active']));
    expect(await sdkWith(t, a.sk).works()).toBe(true);
  });

  it('refuses bad input with a 400 and an unknown key with a 404', async () => {
    const { mk } = await tenant();
    const server = (await api.list(mk)).find((k) => k.kind === 'server') as KeyView;
    for (const body of [
      { kind: 'other' },
      {},
      { kind: 'server', name: '' },
      { kind: 'server', name: 'x'.repeat(101) },
    ]) {
      expect((await api.call(mk, 'POST', '/api-keys', body)).status, JSON.stringify(body)).toBe(400);
    }
    for (const body of [{ gracePeriodMinutes: -1 }, { gracePeriodMinutes: 10_081 }, { gracePeriodMinutes: 1.5 }]) {
      const res = await api.call(mk, 'POST', `/api-keys/${server.keyId}/rotate`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errorCode).toBe('invalid_request');
    }
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await api.call(mk, 'DELETE', `/api-keys/${unknown}`)).status).toBe(404);
    expect((await api.call(mk, 'POST', `/api-keys/${unknown}/rotate`, {})).status).toBe(404);
    expect(await sdkWith(t, mk).works()).toBe(false);
  });

  it('caps the live keys of a kind at 20 (each server key signs every webhook)', async () => {
    const { mk } = await tenant();
    for (let i = 1; i < 20; i++) await api.create(mk, { kind: 'server' });
    const res = await api.call(mk, 'POST', '/api-keys', { kind: 'server' });
    expect(res).toMatchObject({ status: 409, body: { errorCode: 'conflict' } });
    expect((await api.call(mk, 'POST', '/api-keys', { kind: 'management' })).status).toBe(200);
  });

  it('authenticateKey names the key that acted, for the audit log', async () => {
    const { mk, tenantId } = await tenant();
    const key = (await api.list(mk)).find((k) => k.kind === 'management') as KeyView;
    expect(await t.server.deps.tenantService.authenticateKey('management', mk)).toEqual({
      tenantId,
      keyId: key.keyId,
    });
    expect(await t.server.deps.tenantService.authenticate('management', mk)).toBe(tenantId);
    expect(await t.server.deps.tenantService.authenticateKey('server', mk)).toBeUndefined();
    const res = await fetch(`${t.apiUrl}/management/api-keys`, { headers: { authorization: basic(`${mk}x`) } });
    expect(res.status).toBe(401);
  });
});

describe.each(databases)('API keys made before migration 009 ($name)', (db) => {
  let t: TestServer | undefined;
  afterAll(() => t?.close());

  it('lists them with no hint and no name, and they keep working', async () => {
    const env = db.env();
    const opened = await openDatabase({ url: env.DATABASE_URL as string, schema: env.SIGIL_DATABASE_SCHEMA });
    // The schema as it was before 009, with a tenant whose keys are stored as the old code stored them.
    const older: Record<string, Migration> = {
      '001_initial': m001,
      '002_adaptive_mfa': m002,
      '003_number_limits': m003,
      '004_sms_delivery': m004,
      '005_sessions': m005,
      '006_session_purge': m006,
      '007_abuse_defence': m007,
    };
    const migrator = new Migrator({
      db: opened.db,
      provider: { getMigrations: async () => older },
      ...(env.SIGIL_DATABASE_SCHEMA ? { migrationTableSchema: env.SIGIL_DATABASE_SCHEMA } : {}),
    });
    expect((await migrator.migrateToLatest()).error).toBeUndefined();
    const old = { tenantId: randomUUID(), sk: `sk_${randomUUID()}`, mk: `mk_${randomUUID()}` };
    const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
    const raw = opened.db as unknown as Kysely<Record<string, Record<string, unknown>>>;
    await raw.insertInto('tenants').values({ id: old.tenantId, name: 'legacy', created_at: 1 }).execute();
    await raw
      .insertInto('api_keys')
      .values([
        { id: randomUUID(), tenant_id: old.tenantId, kind: 'server', key_hash: sha256(old.sk), created_at: 1 },
        { id: randomUUID(), tenant_id: old.tenantId, kind: 'management', key_hash: sha256(old.mk), created_at: 2 },
      ])
      .execute();
    expect(await migrate(opened.db)).toContain('009_api_key_lifecycle');

    t = await startTestServer(db, {}, { db: opened });
    const api = keyCalls(() => t as TestServer);
    api.remember(old.sk, old.mk);
    const keys = await api.list(old.mk);
    expect(keys.map((k) => [k.kind, k.hint, k.name, k.status, k.expiresAt])).toEqual([
      ['management', null, null, 'active', null],
      ['server', null, null, 'active', null],
    ]);
    expect(await sdkWith(t, old.sk).works()).toBe(true);
    const rotated = await api.rotate(old.mk, keys[1]?.keyId ?? '', { gracePeriodMinutes: 1 });
    expect(rotated.hint).toBe(`sk_…${rotated.secret.slice(-4)}`);
  });
});

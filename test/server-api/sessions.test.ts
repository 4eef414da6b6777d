import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Authsignal, AuthsignalError, VerificationMethod } from '@authsignal/node';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ManualClock } from '../../src/lib/clock.js';
import { type RunningServer, startServer } from '../../src/main.js';
import { schedulePurge } from '../../src/modules/sessions/purge.js';
import { SessionStore } from '../../src/modules/sessions/store.js';
import { openDatabase } from '../../src/storage/db.js';
import { runCli } from '../helpers/cli.js';
import { databases } from '../helpers/databases.js';
import { management } from '../helpers/management.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read the fields of many answer shapes.
  body: any;
}

type TokenPair = { accessToken: string; refreshToken: string };

/** The SDK call fails with this status and code (node reads the code from `error`). */
async function refused(call: Promise<unknown>, statusCode: number, errorCode: string): Promise<AuthsignalError> {
  const err = await call.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(AuthsignalError);
  expect(err).toMatchObject({ statusCode, errorCode });
  return err as AuthsignalError;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe.each(databases)('sessions through the official node SDK ($name)', { timeout: 120_000 }, (db) => {
  let t: TestServer;
  let clientId: string;
  const clock = new ManualClock(Date.now());
  const extraServers: RunningServer[] = [];

  beforeAll(async () => {
    t = await startTestServer(db, {}, { clock });
    clientId = (await clients('POST', '', { name: 'web' })).body.clientId;
  });
  afterAll(async () => {
    for (const server of extraServers) await server.close();
    await t.close();
  });

  /** The Management API's session clients, with this tenant's management key unless told otherwise. */
  const clients = (method: string, path: string, body?: unknown, key = t.tenant.managementSecretKey) =>
    management(t.apiUrl, key, '/session-clients').request<Answer['body']>(method, path, body);

  async function raw(path: string, body: unknown, key?: string): Promise<Answer> {
    const res = await t.fetch(path, { method: 'POST', body: JSON.stringify(body), ...(key ? { key } : {}) });
    return { status: res.status, body: await res.json() };
  }

  /** SMS sign-in through the SDK (challenge, the delivered code, claim): the claim token. */
  async function signIn(userId: string, sdk = t.sdk, lastCode = (to: string) => t.lastCode(to)): Promise<string> {
    const to = phone();
    const { challengeId } = await sdk.challenge({
      verificationMethod: 'SMS',
      action: 'signInWithSms',
      phoneNumber: to,
    });
    expect((await sdk.verify({ challengeId, verificationCode: await lastCode(to) })).isVerified).toBe(true);
    return (await sdk.claimChallenge({ challengeId, userId })).token;
  }

  async function session(userId: string, client = clientId) {
    return t.sdk.createSession({ clientId: client, token: await signIn(userId) });
  }

  it('signs in, creates a session, validates, refreshes, and a reused refresh token revokes the family', async () => {
    await t.sdk.updateUser({ userId: 'ana', attributes: { email: 'ana@example.com', displayName: 'Ana' } });
    const first = await session('ana');
    expect(first.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(decodeProtectedHeader(first.accessToken)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    const claims = decodeJwt(first.accessToken);
    const nowSeconds = Math.floor(clock.now() / 1000);
    expect(claims).toMatchObject({ sub: 'ana', aud: clientId, sid: expect.any(String), exp: nowSeconds + 900 });

    // An API gateway can verify it offline against the tenant's JWKS.
    const jwks = await (await fetch(`${t.apiUrl}/client/public/${t.tenant.tenantId}/.well-known/jwks`)).json();
    const offline = await jwtVerify(first.accessToken, createLocalJWKSet(jwks), {
      audience: clientId,
      typ: 'at+jwt',
      currentDate: new Date(clock.now()),
    });
    expect(offline.payload.sub).toBe('ana');

    const validated = await t.sdk.validateSession({ accessToken: first.accessToken, clientIds: [clientId] });
    expect(validated).toEqual({
      user: expect.objectContaining({ userId: 'ana', email: 'ana@example.com', displayName: 'Ana' }),
      expiresAt: nowSeconds + 900,
      verificationMethod: 'SMS',
    });

    clock.advance(5_000);
    const second = await t.sdk.refreshSession({ refreshToken: first.refreshToken });
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect(decodeJwt(second.accessToken).sid).toBe(claims.sid);
    expect((await t.sdk.validateSession({ accessToken: second.accessToken })).user.userId).toBe('ana');
    // Refreshing revokes the earlier access token.
    await refused(t.sdk.validateSession({ accessToken: first.accessToken }), 401, 'invalid_token');

    // The old refresh token again: the session (the family) is revoked, the newest tokens with it.
    const reuse = await refused(t.sdk.refreshSession({ refreshToken: first.refreshToken }), 401, 'invalid_token');
    expect(reuse.errorDescription).toMatch(/already been used/);
    await refused(t.sdk.refreshSession({ refreshToken: second.refreshToken }), 401, 'invalid_token');
    const revoked = await refused(t.sdk.validateSession({ accessToken: second.accessToken }), 401, 'invalid_token');
    expect(revoked.errorDescription).toMatch(/revoked/);

    // Refresh tokens are kept only as SHA-256 hashes.
    const rows = await t.server.deps.db.selectFrom('session_refresh_tokens').selectAll().execute();
    const hashes = rows.map((r) => r.token_hash);
    expect(hashes).toEqual(expect.arrayContaining([sha256(first.refreshToken), sha256(second.refreshToken)]));
    for (const token of [first.refreshToken, second.refreshToken]) expect(JSON.stringify(rows)).not.toContain(token);
  });

  it('revokeSession takes effect at once, on another node too', async () => {
    const pair = await session('bo');
    const nodes = [t.sdk];
    if (db.name === 'postgres') {
      // A second process on the same database: it must not trust anything cached about the session. Nodes
      // behind one load balancer share the public URL, which is also the tokens' issuer.
      const other = await startServer(
        loadConfig({
          ...t.cliEnv,
          PORT: '0',
          SIGIL_BOOTSTRAP_DEV_TENANT: 'false',
          SIGIL_PUBLIC_URL: t.server.deps.publicUrls.base,
        }),
      );
      extraServers.push(other);
      nodes.push(new Authsignal({ apiSecretKey: t.tenant.apiSecretKey, apiUrl: `${other.url}/v1`, retries: 0 }));
    }
    for (const node of nodes) expect((await node.validateSession(pair)).user.userId).toBe('bo');
    await t.sdk.revokeSession({ accessToken: pair.accessToken });
    for (const node of nodes) await refused(node.validateSession(pair), 401, 'invalid_token');
    await refused(t.sdk.refreshSession(pair), 401, 'invalid_token');
    // Revoking again is no error.
    expect((await raw('/sessions/revoke', { accessToken: pair.accessToken })).body).toEqual({ success: true });
  });

  it("revokeUserSessions revokes every session of that user, and only that user's", async () => {
    const [a1, a2, other] = [await session('cy'), await session('cy'), await session('dee')];
    expect(await raw('/sessions/user/revoke', { userId: 'cy' })).toEqual({ status: 200, body: { success: true } });
    for (const pair of [a1, a2]) {
      await refused(t.sdk.validateSession(pair), 401, 'invalid_token');
      await refused(t.sdk.refreshSession(pair), 401, 'invalid_token');
    }
    expect((await t.sdk.validateSession(other)).user.userId).toBe('dee');
    // The SDK's own call, and the path one version of the Go SDK posts to.
    await t.sdk.revokeUserSessions({ userId: 'nobody' });
    const goStyle = await t.fetch('/users/dee/sessions/revoke', { method: 'POST' });
    expect(goStyle.status).toBe(200);
    await refused(t.sdk.validateSession(other), 401, 'invalid_token');
  });

  it('checks clientIds: the token must have been issued for one of them', async () => {
    const pair = await session('eve');
    const mobile = (await clients('POST', '', { name: 'ios' })).body.clientId as string;
    await refused(t.sdk.validateSession({ accessToken: pair.accessToken, clientIds: [mobile] }), 401, 'invalid_token');
    const ok = await t.sdk.validateSession({ accessToken: pair.accessToken, clientIds: [mobile, clientId] });
    expect(ok.user.userId).toBe('eve');
    expect((await raw('/sessions/validate', { accessToken: pair.accessToken, clientIds: [] })).status).toBe(400);
  });

  it('makes one session per challenge, also when 10 createSession calls race', async () => {
    const token = await signIn('fay');
    await t.sdk.createSession({ clientId, token });
    const again = await refused(t.sdk.createSession({ clientId, token }), 409, 'conflict');
    expect(again.errorDescription).toMatch(/already been created/);

    const raced = await signIn('gus');
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => t.sdk.createSession({ clientId, token: raced })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect(r.reason).toMatchObject({ statusCode: 409, errorCode: 'conflict' });
    }
  });

  it('lets exactly one of two concurrent refreshes of one token win; the loser counts as a reuse', async () => {
    const pair = await session('hal');
    const results = await Promise.allSettled([1, 2].map(() => t.sdk.refreshSession(pair)));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')?.reason).toMatchObject({ statusCode: 401 });
    const winner = (won[0] as PromiseFulfilledResult<{ accessToken: string }>).value;
    await refused(t.sdk.validateSession(winner), 401, 'invalid_token');
  });

  it('accepts a token after validateChallenge, and the Client API verify token; refuses unfinished ones', async () => {
    const claimed = await signIn('ivy');
    expect((await t.sdk.validateChallenge({ token: claimed })).isValid).toBe(true);
    const named = await t.sdk.createSession({ clientId, token: claimed, action: 'signInWithSms' });
    expect(named.accessToken).toMatch(/^ey/);
    const another = await signIn('ivy');
    await refused(t.sdk.createSession({ clientId, token: another, action: 'otherAction' }), 400, 'invalid_request');

    const m = management(t.apiUrl, t.tenant.managementSecretKey);
    await m.createConfig('stepUp', 'CHALLENGE');
    const to = phone();
    await t.sdk.enrollVerifiedAuthenticator({
      userId: 'jo',
      attributes: { verificationMethod: VerificationMethod.SMS, phoneNumber: to },
    });
    const tracked = await t.sdk.track({ userId: 'jo', action: 'stepUp' });
    expect(tracked.state).toBe('CHALLENGE_REQUIRED');
    const pending = await refused(t.sdk.createSession({ clientId, token: tracked.token }), 400, 'invalid_request');
    expect(pending.errorDescription).toMatch(/CHALLENGE_REQUIRED/);
    const allowed = await t.sdk.track({ userId: 'jo', action: 'plainAllow' });
    expect(allowed.state).toBe('ALLOW');
    await refused(t.sdk.createSession({ clientId, token: allowed.token }), 400, 'invalid_request');

    const bearer = { authorization: `Bearer ${tracked.token}`, 'content-type': 'application/json' };
    await fetch(`${t.apiUrl}/client/challenge/sms`, { method: 'POST', headers: bearer, body: '{}' });
    const verified = await fetch(`${t.apiUrl}/client/verify/sms`, {
      method: 'POST',
      headers: bearer,
      body: JSON.stringify({ verificationCode: await t.lastCode(to) }),
    });
    const { accessToken } = (await verified.json()) as { accessToken: string };
    const pair = await t.sdk.createSession({ clientId, token: accessToken });
    expect((await t.sdk.validateSession(pair)).user.userId).toBe('jo');
    // The track token names the same challenge: it makes no second session.
    await refused(t.sdk.createSession({ clientId, token: tracked.token }), 409, 'conflict');
  });

  it('keeps the token kinds apart: no access token as a challenge token, no challenge token as an access token', async () => {
    const claimed = await signIn('kim');
    const pair = await t.sdk.createSession({ clientId, token: claimed });
    expect(await t.sdk.validateChallenge({ token: pair.accessToken })).toMatchObject({ isValid: false });
    const asClient = await fetch(`${t.apiUrl}/client/user-authenticators`, {
      headers: { authorization: `Bearer ${pair.accessToken}` },
    });
    expect(asClient.status).toBe(401);
    await refused(t.sdk.validateSession({ accessToken: claimed }), 401, 'invalid_token');
    await refused(t.sdk.revokeSession({ accessToken: claimed }), 401, 'invalid_token');
    await refused(t.sdk.createSession({ clientId, token: pair.accessToken }), 401, 'invalid_token');
    // Far longer than a refresh token: refused by the contract.
    await refused(t.sdk.refreshSession({ refreshToken: pair.accessToken }), 400, 'invalid_request');
    await refused(t.sdk.refreshSession({ refreshToken: pair.refreshToken.slice(1) }), 401, 'invalid_token');
    expect((await t.sdk.validateSession(pair)).user.userId).toBe('kim');
  });

  it("isolates tenants: another tenant's key cannot validate, refresh or revoke, and its clientId is refused", async () => {
    const pair = await session('lee');
    const other = await t.newTenant('other');
    await refused(other.sdk.validateSession(pair), 401, 'invalid_token');
    await refused(other.sdk.refreshSession(pair), 401, 'invalid_token');
    await refused(other.sdk.revokeSession(pair), 401, 'invalid_token');
    await other.sdk.revokeUserSessions({ userId: 'lee' }); // no error, and no effect here
    expect((await t.sdk.validateSession(pair)).user.userId).toBe('lee');

    const otherClient = (await clients('POST', '', { name: 'theirs' }, other.tenant.managementSecretKey)).body.clientId;
    await refused(t.sdk.createSession({ clientId: otherClient, token: await signIn('lee') }), 400, 'invalid_request');
    const theirToken = await signIn('lee', other.sdk);
    await refused(t.sdk.createSession({ clientId, token: theirToken }), 401, 'invalid_token');
    expect((await other.sdk.createSession({ clientId: otherClient, token: theirToken })).accessToken).toMatch(/^ey/);
    expect((await clients('GET', `/${otherClient}`)).status).toBe(404);
    expect((await clients('DELETE', `/${otherClient}`)).status).toBe(404);
    expect((await clients('GET', '')).body.map((c: { clientId: string }) => c.clientId)).not.toContain(otherClient);
  });

  it("expires access tokens with the client's access TTL and refresh tokens with its refresh TTL", async () => {
    const short = (await clients('POST', '', { name: 'short', accessTokenTtlSeconds: 60, refreshTokenTtlSeconds: 300 }))
      .body.clientId as string;
    const pair = await session('max', short);
    const { iat, exp } = decodeJwt(pair.accessToken);
    expect((exp as number) - (iat as number)).toBe(60);
    clock.advance(61_000);
    await refused(t.sdk.validateSession(pair), 401, 'expired_token');
    const next = await t.sdk.refreshSession(pair);
    expect((await t.sdk.validateSession(next)).expiresAt).toBe(Math.floor(clock.now() / 1000) + 60);
    clock.advance(301_000);
    await refused(t.sdk.refreshSession(next), 401, 'expired_token');

    // An expired access token still revokes its session (sign-out after the access token lapsed).
    const later = await session('max', short);
    clock.advance(61_000);
    await t.sdk.revokeSession({ accessToken: later.accessToken });
    await refused(t.sdk.refreshSession(later), 401, 'invalid_token');
  });

  it('manages session clients: defaults, bounds, list, get, and delete ends their sessions', async () => {
    const created = await clients('POST', '', { name: ' api ', unknown: 'stripped' });
    expect(created).toEqual({
      status: 200,
      body: {
        clientId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'api',
        accessTokenTtlSeconds: 900,
        refreshTokenTtlSeconds: 2_592_000,
        createdAt: new Date(clock.now()).toISOString(),
      },
    });
    const id = created.body.clientId as string;
    for (const bad of [
      {},
      { name: '' },
      { name: 'x', accessTokenTtlSeconds: 59 },
      { name: 'x', accessTokenTtlSeconds: 1.5 },
      { name: 'x', refreshTokenTtlSeconds: 400 * 86_400 },
      { name: 'x', accessTokenTtlSeconds: 3600, refreshTokenTtlSeconds: 600 },
    ]) {
      const res = await clients('POST', '', bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request', errorCode: 'invalid_request' });
    }
    expect((await clients('GET', `/${id}`)).body).toEqual(created.body);
    expect((await clients('GET', '')).body).toContainEqual(created.body);
    expect((await clients('GET', '', undefined, t.tenant.apiSecretKey)).status).toBe(401);

    const pair = await session('ned', id);
    expect(await clients('DELETE', `/${id}`)).toEqual({ status: 200, body: { success: true } });
    await refused(t.sdk.validateSession(pair), 401, 'invalid_token');
    await refused(t.sdk.refreshSession(pair), 401, 'invalid_token');
    await refused(t.sdk.createSession({ clientId: id, token: await signIn('ned') }), 400, 'invalid_request');
    expect((await clients('GET', `/${id}`)).body).toMatchObject({ errorCode: 'not_found' });
    expect((await clients('DELETE', `/${id}`)).status).toBe(404);
  });

  it("deleteUser deletes the user's sessions", async () => {
    const pair = await session('oli');
    const { sid } = decodeJwt(pair.accessToken);
    await t.sdk.deleteUser({ userId: 'oli' });
    await refused(t.sdk.validateSession(pair), 401, 'invalid_token');
    await refused(t.sdk.refreshSession(pair), 401, 'invalid_token');
    const db = t.server.deps.db;
    const sessions = await db.selectFrom('sessions').select('id').where('id', '=', String(sid)).execute();
    const refresh = await db.selectFrom('session_refresh_tokens').select('token_hash');
    expect([sessions, await refresh.where('session_id', '=', String(sid)).execute()]).toEqual([[], []]);
  });

  it('refuses, not fails, a session whose client was deleted after it was read', async () => {
    // The race of createSession with a client deletion, made certain: the row names a client that is gone.
    const store = new SessionStore(t.server.deps.db);
    const now = Date.now();
    const id = randomBytes(8).toString('hex');
    const outcome = await store.insertSession(
      {
        id,
        tenant_id: t.tenant.tenantId,
        client_id: 'deleted-client',
        user_id: 'u',
        idempotency_key: `ik-${id}`,
        verification_method: 'SMS',
        access_jti: id,
        created_at: now,
        refreshed_at: null,
        revoked_at: null,
        revoked_reason: null,
      },
      {
        token_hash: id,
        tenant_id: t.tenant.tenantId,
        session_id: id,
        created_at: now,
        expires_at: now + 1,
        used_at: null,
      },
    );
    expect(outcome).toBe('client_gone');
    expect(await t.server.deps.db.selectFrom('sessions').select('id').where('id', '=', id).execute()).toEqual([]);
  });

  it('answers hostile input with a 4xx and a complete error body', async () => {
    const forged = (header: unknown) => `${b64(header)}.${b64({ sub: 'x', sid: 'y' })}.c2ln`;
    const cases: [string, unknown][] = [
      ['/sessions/validate', { accessToken: forged({ alg: 'ES256', kid: { $ne: null } }) }],
      ['/sessions/validate', { accessToken: forged({ alg: 'ES256', kid: 'a\u0000b', typ: 'at+jwt' }) }],
      ['/sessions/validate', { accessToken: forged({ alg: 'none', kid: 'k', typ: 'at+jwt' }) }],
      ['/sessions/validate', { accessToken: 'not a token' }],
      ['/sessions/validate', { accessToken: 'a\u0000b' }],
      ['/sessions/validate', { accessToken: 'x', clientIds: 'web' }],
      ['/sessions/refresh', { refreshToken: { $ne: null } }],
      ['/sessions/refresh', { refreshToken: 'x'.repeat(300) }],
      ['/sessions/revoke', { accessToken: forged({ alg: 'ES256', kid: true }) }],
      ['/sessions', { clientId: 'c'.repeat(65), token: 'y' }],
      ['/sessions', { clientId, token: forged({ alg: 'ES256', kid: '__proto__' }) }],
      ['/sessions/user/revoke', { userId: '' }],
    ];
    for (const [path, body] of cases) {
      const res = await raw(path, body);
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBeLessThan(500);
      expect(Object.keys(res.body).sort()).toEqual(['error', 'errorCode', 'errorDescription']);
      expect(res.body.errorCode).toBe(res.body.error);
    }
    expect((await raw('/sessions/validate', { accessToken: 'x' }, 'sk_wrong')).status).toBe(401);
  });

  it('sigil session-clients create makes a client that createSession accepts', async () => {
    const env = {
      ...db.env(),
      SIGIL_MASTER_KEY: randomBytes(32).toString('base64'),
      SIGIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'sigil-sessions-')),
      NODE_ENV: 'test',
    };
    const tenant = JSON.parse((await runCli(['tenant', 'create', '--name', 'Acme', '--json'], env)).stdout);
    const base = ['session-clients', 'create', '--tenant', tenant.tenantId, '--name', 'ios'];
    const made = await runCli([...base, '--access-ttl-seconds', '120', '--json'], env);
    expect(made).toMatchObject({ code: 0, stderr: '' });
    const client = JSON.parse(made.stdout);
    expect(client).toEqual({
      clientId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'ios',
      accessTokenTtlSeconds: 120,
      refreshTokenTtlSeconds: 2_592_000,
      createdAt: expect.any(String),
    });
    const tooShort = await runCli([...base, '--access-ttl-seconds', '10'], env);
    expect(tooShort.code).toBe(1);
    expect(tooShort.stderr).toMatch(/accessTokenTtlSeconds must be a whole number of seconds from 60/);
    const noTenant = await runCli(['session-clients', 'create', '--tenant', 'nope', '--name', 'x'], env);
    expect(noTenant.code).toBe(1);
    expect(noTenant.stderr).toMatch(/no tenant nope/);
    const listed = await runCli(['session-clients', 'list', '--tenant', tenant.tenantId], env);
    expect(JSON.parse(listed.stdout)).toEqual([client]);

    const server = await startServer(loadConfig({ ...env, PORT: '0' }));
    extraServers.push(server);
    const sdk = new Authsignal({ apiSecretKey: tenant.apiSecretKey, apiUrl: `${server.url}/v1`, retries: 0 });
    const inbox = server.deps.db.selectFrom('dev_inbox').select('body');
    const lastCode = async (to: string) => {
      const message = await inbox.where('to', '=', to).executeTakeFirstOrThrow();
      return /\b(\d{6})\b/.exec(message.body)?.[1] as string;
    };
    const token = await signIn('cli-user', sdk, lastCode);
    const pair = await sdk.createSession({ clientId: client.clientId, token });
    const { iat, exp, aud } = decodeJwt(pair.accessToken);
    expect({ ttl: (exp as number) - (iat as number), aud }).toEqual({ ttl: 120, aud: client.clientId });
    expect((await sdk.validateSession({ accessToken: pair.accessToken })).user.userId).toBe('cli-user');
  });

  it('keeps only unexpired refresh-token rows however often a session refreshes; reuse of a live one revokes', async () => {
    const rotating = (
      await clients('POST', '', { name: 'rotating', accessTokenTtlSeconds: 60, refreshTokenTtlSeconds: 300 })
    ).body.clientId as string;
    const issued = [await session('pia', rotating)];
    const sid = String(decodeJwt((issued[0] as { accessToken: string }).accessToken).sid);
    const rows = () =>
      t.server.deps.db
        .selectFrom('session_refresh_tokens')
        .select(['token_hash', 'expires_at', 'used_at'])
        .where('session_id', '=', sid)
        .execute();
    // Token k is issued at k × 100 s and expires 300 s later: each refresh drops the rows expired by then.
    for (let k = 1; k <= 8; k++) {
      clock.advance(100_000);
      issued.push(await t.sdk.refreshSession(issued[k - 1] as { refreshToken: string }));
      const now = clock.now();
      for (const row of await rows()) expect(row.expires_at).toBeGreaterThan(now);
    }
    const kept = (await rows()).sort((a, b) => a.expires_at - b.expires_at);
    expect(kept.map((r) => r.token_hash)).toEqual([6, 7, 8].map((k) => sha256(issued[k]?.refreshToken as string)));
    expect(kept.map((r) => r.used_at === null)).toEqual([false, false, true]);

    // A used token that has expired is gone: simply invalid, and the session lives on.
    const stale = await refused(t.sdk.refreshSession(issued[2] as TokenPair), 401, 'invalid_token');
    expect(stale.errorDescription).toMatch(/refresh token is invalid/);
    const newest = issued[8] as TokenPair;
    expect((await t.sdk.validateSession(newest)).user.userId).toBe('pia');
    // A used token that has not expired is still remembered: presenting it revokes the family.
    const reuse = await refused(t.sdk.refreshSession(issued[7] as TokenPair), 401, 'invalid_token');
    expect(reuse.errorDescription).toMatch(/already been used/);
    await refused(t.sdk.validateSession(newest), 401, 'invalid_token');
    await refused(t.sdk.refreshSession(newest), 401, 'invalid_token');
  });

  it('purges sessions revoked, or past their refresh expiry, more than the retention ago, across tenants', async () => {
    const pc = new ManualClock(Date.now());
    const p = await startTestServer(db, { SIGIL_SESSION_PURGE_INTERVAL_MS: '0' }, { clock: pc });
    try {
      const b = await p.newTenant('B');
      const tenants = await Promise.all(
        [p, b].map(async ({ tenant, sdk }) => {
          const made = management(p.apiUrl, tenant.managementSecretKey, '/session-clients');
          const client = (
            await made.request<{ clientId: string }>('POST', '', { name: 'web', refreshTokenTtlSeconds: 86_400 })
          ).body.clientId;
          const open = async (userId: string) =>
            sdk.createSession({ clientId: client, token: await signIn(userId, sdk, (to) => p.lastCode(to)) });
          return { tenant, sdk, open, pairs: {} as Record<string, TokenPair> };
        }),
      );
      const t0 = pc.now();
      const at = async (ms: number, step: (s: (typeof tenants)[number]) => Promise<void>) => {
        pc.advance(t0 + ms - pc.now());
        for (const s of tenants) await step(s);
      };
      // Refresh tokens live 1 day. The sweep runs at day 9, so with 7 days' retention the cutoff is day 2.
      await at(0, async (s) => {
        s.pairs.revokedOld = await s.open('revoked-old');
        await s.sdk.revokeSession(s.pairs.revokedOld);
        s.pairs.expiredOld = await s.open('expired-old'); // its token expires at day 1
        s.pairs.refreshedOld = await s.open('refreshed-old');
        s.pairs.revokedLate = await s.open('revoked-late');
      });
      await at(12 * HOUR, async (s) => {
        s.pairs.refreshedOld = await s.sdk.refreshSession(s.pairs.refreshedOld as TokenPair); // newest: day 1.5
      });
      await at(5 * DAY, async (s) => {
        s.pairs.expiredRecent = await s.open('expired-recent'); // expires at day 6
        s.pairs.revokedRecent = await s.open('revoked-recent');
      });
      await at(8 * DAY, async (s) => {
        await s.sdk.revokeSession(s.pairs.revokedRecent as TokenPair);
        // Revoked recently, but its only refresh token expired at day 1: the token goes, the session stays.
        await s.sdk.revokeSession(s.pairs.revokedLate as TokenPair);
      });
      await at(9 * DAY - 2 * HOUR, async (s) => {
        s.pairs.live = await s.open('live');
      });
      await at(9 * DAY - HOUR, async (s) => {
        s.pairs.live = await s.sdk.refreshSession(s.pairs.live as TokenPair); // two rows, one used
      });
      await at(9 * DAY, async () => {});

      const left = async () => {
        const rows = await p.server.deps.db
          .selectFrom('sessions as s')
          .leftJoin('session_refresh_tokens as r', 'r.session_id', 's.id')
          .select(['s.tenant_id', 's.user_id', (eb) => eb.fn.count<number>('r.token_hash').as('tokens')])
          .groupBy(['s.tenant_id', 's.user_id'])
          .execute();
        return tenants.map(({ tenant }) =>
          Object.fromEntries(
            rows
              .filter((r) => r.tenant_id === tenant.tenantId)
              .sort((x, y) => x.user_id.localeCompare(y.user_id))
              .map((r) => [r.user_id, Number(r.tokens)]),
          ),
        );
      };
      const before = { 'expired-old': 1, 'refreshed-old': 2, 'revoked-old': 1, 'revoked-late': 1 };
      const kept = { 'expired-recent': 1, live: 2, 'revoked-recent': 1 };
      expect(await left()).toEqual([0, 1].map(() => ({ ...before, ...kept })));

      // Batches of 2 rows, so that every loop runs several times.
      const sessions = p.server.deps.sessionService;
      expect(await sessions.purge({ batchSize: 2 })).toEqual({ sessions: 6, refreshTokens: 10 });
      expect(await left()).toEqual([0, 1].map(() => ({ ...kept, 'revoked-late': 0 })));
      expect(await sessions.purge()).toEqual({ sessions: 0, refreshTokens: 0 });

      for (const s of tenants) {
        s.pairs.live = await s.sdk.refreshSession(s.pairs.live as TokenPair); // a third row
        expect((await s.sdk.validateSession(s.pairs.live)).user.userId).toBe('live');
        // Within the retention an expired session still answers expired_token; a purged one is unknown.
        await refused(s.sdk.refreshSession(s.pairs.expiredRecent as TokenPair), 401, 'expired_token');
        await refused(s.sdk.refreshSession(s.pairs.revokedRecent as TokenPair), 401, 'invalid_token');
        await refused(s.sdk.refreshSession(s.pairs.refreshedOld as TokenPair), 401, 'invalid_token');
      }

      // A week on: the recently revoked and recently expired are old too; the live session stays.
      pc.advance(7 * DAY);
      expect(await sessions.purge({ batchSize: 2 })).toEqual({ sessions: 6, refreshTokens: 4 });
      expect(await left()).toEqual([0, 1].map(() => ({ live: 3 })));
    } finally {
      await p.close();
    }
  });

  it('the server sweeps by itself every SIGIL_SESSION_PURGE_INTERVAL_MS', async () => {
    const pc = new ManualClock(Date.now());
    const p = await startTestServer(db, { SIGIL_SESSION_PURGE_INTERVAL_MS: '50' }, { clock: pc });
    try {
      const make = management(p.apiUrl, p.tenant.managementSecretKey, '/session-clients');
      const client = (await make.request<{ clientId: string }>('POST', '', { name: 'web' })).body.clientId;
      const pair = await p.sdk.createSession({
        clientId: client,
        token: await signIn('swept', p.sdk, (to) => p.lastCode(to)),
      });
      await p.sdk.revokeSession(pair);
      const count = async () =>
        (await p.server.deps.db.selectFrom('sessions').select('id').execute()).length +
        (await p.server.deps.db.selectFrom('session_refresh_tokens').select('token_hash').execute()).length;
      expect(await count()).toBe(2);
      pc.advance(7 * DAY - 1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await count()).toBe(2); // revoked less than the retention ago
      pc.advance(1);
      await vi.waitFor(async () => expect(await count()).toBe(0), { timeout: 5_000, interval: 25 });
    } finally {
      await p.close();
    }
  });

  it('sigil sessions purge deletes ended sessions older than the retention', async () => {
    const env: Record<string, string> = {
      ...db.env(),
      SIGIL_MASTER_KEY: randomBytes(32).toString('base64'),
      SIGIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'sigil-purge-')),
      NODE_ENV: 'test',
    };
    const tenant = JSON.parse((await runCli(['tenant', 'create', '--name', 'Acme', '--json'], env)).stdout);
    // The server's clock starts 40 days back; the CLI runs on the real clock.
    const past = new ManualClock(Date.now() - 40 * DAY);
    const server = await startServer(loadConfig({ ...env, PORT: '0', SIGIL_SESSION_PURGE_INTERVAL_MS: '0' }), {
      clock: past,
    });
    try {
      const sdk = new Authsignal({ apiSecretKey: tenant.apiSecretKey, apiUrl: `${server.url}/v1`, retries: 0 });
      const { clientId: client } = await server.deps.sessionService.clients.create(tenant.tenantId, { name: 'web' });
      const lastCode = async (to: string) => {
        const message = await server.deps.db
          .selectFrom('dev_inbox')
          .select('body')
          .where('to', '=', to)
          .executeTakeFirstOrThrow();
        return /\b(\d{6})\b/.exec(message.body)?.[1] as string;
      };
      const open = async (userId: string) =>
        sdk.createSession({ clientId: client, token: await signIn(userId, sdk, lastCode) });
      await open('expired'); // 30-day refresh token: expired 10 days ago
      past.advance(38 * DAY);
      await sdk.revokeSession(await open('revoked')); // 2 days ago
      await open('live');
    } finally {
      await server.close();
    }

    const purged = await runCli(['sessions', 'purge'], env);
    expect(purged).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(purged.stdout)).toEqual({ sessions: 1, refreshTokens: 1, retentionDays: 7 });
    const shorter = await runCli(['sessions', 'purge', '--retention-days', '1'], env);
    expect(JSON.parse(shorter.stdout)).toEqual({ sessions: 1, refreshTokens: 1, retentionDays: 1 });
    const bad = await runCli(['sessions', 'purge', '--retention-days', 'soon'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--retention-days.*must be a whole number/);

    const { db: kdb } = await openDatabase({ url: env.DATABASE_URL as string, schema: env.SIGIL_DATABASE_SCHEMA });
    try {
      expect(await kdb.selectFrom('sessions').select('user_id').execute()).toEqual([{ user_id: 'live' }]);
      expect(await kdb.selectFrom('session_refresh_tokens').select('session_id').execute()).toHaveLength(1);
    } finally {
      await kdb.destroy();
    }
  });
});

describe('the session purge schedule', () => {
  it('never overlaps a sweep, logs a failure and carries on, and stop() waits for the sweep', async () => {
    const logged: string[] = [];
    const logger = {
      info: (_obj: object, msg: string) => logged.push(msg),
      error: (obj: object, msg: string) => logged.push(`${msg}: ${(obj as { err: Error }).err.message}`),
    };
    let calls = 0;
    let active = 0;
    let most = 0;
    let aborted = false;
    const schedule = schedulePurge(
      async (signal) => {
        calls += 1;
        active += 1;
        most = Math.max(most, active);
        try {
          if (calls === 1) throw new Error('database unavailable');
          // Ten intervals long: the ticks in between must be skipped.
          await new Promise((resolve) => setTimeout(resolve, 100));
          aborted ||= signal.aborted;
          return { sessions: 1, refreshTokens: 2 };
        } finally {
          active -= 1;
        }
      },
      logger,
      10,
    );
    await vi.waitFor(() => expect(calls).toBeGreaterThanOrEqual(3), { timeout: 5_000, interval: 5 });
    await schedule.stop();
    expect({ active, most, aborted }).toEqual({ active: 0, most: 1, aborted: true });
    expect(logged[0]).toBe('session purge failed; the next sweep will try again: database unavailable');
    expect(logged).toContain('purged dead sessions');
    const after = calls;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(calls).toBe(after);
  });
});

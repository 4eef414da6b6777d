import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { databases } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createOperator, PASSWORD, PortalClient, signedIn, totpCode } from './portal-client.js';

/** Enrols TOTP for a signed-in client; answers the secret and the recovery codes. */
async function enrol(client: PortalClient, clock: ManualClock) {
  const started = await client.request('POST', '/v1/portal/mfa/totp');
  expect(started.status).toBe(200);
  expect(started.body.otpauthUri).toMatch(/^otpauth:\/\/totp\/Sigil:.+\?.*secret=/);
  expect(started.body.otpauthUri).toContain('algorithm=SHA1');
  expect(started.body.otpauthUri).toContain('digits=6');
  expect(started.body.otpauthUri).toContain('period=30');
  expect(started.body.qrCodeSvg).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
  const secret = started.body.secret as string;
  const confirmed = await client.request('POST', '/v1/portal/mfa/totp/confirm', {
    body: { code: totpCode(secret, clock.now()) },
  });
  expect(confirmed.status).toBe(200);
  return { secret, recoveryCodes: confirmed.body.recoveryCodes as string[] };
}

describe.each(databases)('portal TOTP MFA ($name)', { timeout: 60_000 }, (db) => {
  let t: TestServer;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    t = await startTestServer(db, {}, { clock });
  });
  afterAll(() => t.close());

  it('enrols with a QR code, then signs in in two steps; the partial session reaches no data', async () => {
    const { client, operator } = await signedIn(t, 'admin');
    const { secret, recoveryCodes } = await enrol(client, clock);
    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    expect((await client.me()).body.account.mfaEnabled).toBe(true);
    // The secret is stored encrypted, never as given.
    const row = await t.server.deps.db
      .selectFrom('operator_accounts')
      .selectAll()
      .where('id', '=', operator.accountId)
      .executeTakeFirstOrThrow();
    expect(row.totp_secret_enc).toMatch(/^v1\./);
    expect(JSON.stringify(row)).not.toContain(secret);

    clock.advance(60_000);
    const browser = new PortalClient(t.server.url);
    const first = await browser.signIn(operator.email, PASSWORD);
    expect(first.body.status).toBe('mfa_required');
    const partialCookie = browser.cookie;
    expect((await browser.me()).body.session.status).toBe('mfa_required');
    const blocked = await browser.management('GET', '/members', t.tenant.tenantId);
    expect(blocked.status).toBe(401);
    expect((await browser.request('GET', '/v1/portal/sessions')).status).toBe(403);

    const wrong = await browser.request('POST', '/v1/portal/sign-in/mfa', { body: { code: '000000' } });
    expect(wrong.status).toBe(401);
    const done = await browser.request('POST', '/v1/portal/sign-in/mfa', {
      body: { code: totpCode(secret, clock.now()) },
    });
    expect(done.status).toBe(200);
    expect(done.body.status).toBe('signed_in');
    // Rotated at the MFA step: the partial cookie is not the signed-in one, and is dead.
    expect(browser.cookie).not.toBe(partialCookie);
    expect((await browser.management('GET', '/members', t.tenant.tenantId)).status).toBe(200);
    const old = new PortalClient(t.server.url);
    old.cookie = partialCookie;
    expect((await old.me()).status).toBe(401);
  });

  it('accepts a TOTP code once: the same code is refused the second time', async () => {
    const { client, operator } = await signedIn(t, 'viewer');
    const { secret } = await enrol(client, clock);
    clock.advance(90_000);
    const code = totpCode(secret, clock.now());
    const a = new PortalClient(t.server.url);
    await a.signIn(operator.email, PASSWORD);
    expect((await a.request('POST', '/v1/portal/sign-in/mfa', { body: { code } })).status).toBe(200);
    const b = new PortalClient(t.server.url);
    await b.signIn(operator.email, PASSWORD);
    expect((await b.request('POST', '/v1/portal/sign-in/mfa', { body: { code } })).status).toBe(401);
    // A code of the previous step is older than the one used: refused too. The next step's is accepted.
    expect(
      (await b.request('POST', '/v1/portal/sign-in/mfa', { body: { code: totpCode(secret, clock.now(), -1) } })).status,
    ).toBe(401);
    expect(
      (await b.request('POST', '/v1/portal/sign-in/mfa', { body: { code: totpCode(secret, clock.now(), 1) } })).status,
    ).toBe(200);
  });

  it('accepts each recovery code once', async () => {
    const { client, operator } = await signedIn(t, 'viewer');
    const { recoveryCodes } = await enrol(client, clock);
    const [first] = recoveryCodes;
    const a = new PortalClient(t.server.url);
    await a.signIn(operator.email, PASSWORD);
    const used = await a.request('POST', '/v1/portal/sign-in/mfa', { body: { recoveryCode: first?.toUpperCase() } });
    expect(used.status).toBe(200);
    const b = new PortalClient(t.server.url);
    await b.signIn(operator.email, PASSWORD);
    expect((await b.request('POST', '/v1/portal/sign-in/mfa', { body: { recoveryCode: first } })).status).toBe(401);
    expect(
      (await b.request('POST', '/v1/portal/sign-in/mfa', { body: { recoveryCode: recoveryCodes[1] } })).status,
    ).toBe(200);
  });

  it('removes TOTP only after a fresh re-authentication', async () => {
    const { client, operator } = await signedIn(t, 'viewer');
    const { secret } = await enrol(client, clock);
    clock.advance(6 * 60_000);
    const stale = await client.request('DELETE', '/v1/portal/mfa/totp');
    expect(stale.status).toBe(403);
    expect(stale.body.errorCode).toBe('reauthentication_required');
    const reauth = await client.request('POST', '/v1/portal/reauthenticate', {
      body: { code: totpCode(secret, clock.now()) },
    });
    expect(reauth.status).toBe(200);
    expect(reauth.body.reauthenticatedAt).toBe(new Date(clock.now()).toISOString());
    expect((await client.request('DELETE', '/v1/portal/mfa/totp')).status).toBe(200);
    const again = new PortalClient(t.server.url);
    expect((await again.signIn(operator.email, PASSWORD)).body.status).toBe('signed_in');
  });
});

describe.each(databases)('mandatory portal MFA ($name)', { timeout: 60_000 }, (db) => {
  let t: TestServer;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    t = await startTestServer(db, { SIGIL_PORTAL_REQUIRE_MFA: 'true' }, { clock });
  });
  afterAll(() => t.close());

  it('lets an account without TOTP only enrol, then signs it in with a new session', async () => {
    const operator = await createOperator(t, 'owner');
    const client = new PortalClient(t.server.url);
    const res = await client.signIn(operator.email, PASSWORD);
    expect(res.body.status).toBe('mfa_enrolment_required');
    const me = await client.me();
    expect(me.body.mfaMandatory).toBe(true);
    expect(me.body.session.status).toBe('mfa_enrolment_required');
    expect((await client.management('GET', '/members', t.tenant.tenantId)).status).toBe(401);
    const partial = client.cookie;
    await enrol(client, clock);
    expect(client.cookie).not.toBe(partial);
    expect((await client.me()).body.session.status).toBe('signed_in');
    expect((await client.management('GET', '/members', t.tenant.tenantId)).status).toBe(200);
    // Mandatory MFA cannot be removed, even freshly re-authenticated.
    await client.request('POST', '/v1/portal/reauthenticate', { body: { password: PASSWORD } });
    const removal = await client.request('DELETE', '/v1/portal/mfa/totp');
    expect(removal.status).toBe(409);
  });
});

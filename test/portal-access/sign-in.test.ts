import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { databases } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createOperator, PASSWORD, PortalClient, signedIn } from './portal-client.js';

describe.each(databases)('portal sign-in and sessions ($name)', { timeout: 60_000 }, (db) => {
  let t: TestServer;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    t = await startTestServer(db, {}, { clock });
  });
  afterAll(() => t.close());

  it('signs in with email and password and reads /me with the session cookie', async () => {
    const op = await createOperator(t, 'developer');
    const client = new PortalClient(t.server.url);
    const res = await client.signIn(op.email.toUpperCase(), PASSWORD);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('signed_in');
    const setCookie = res.headers.getSetCookie().join('\n');
    expect(setCookie).toMatch(/^sigil_portal=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toMatch(/Secure/); // plain http in tests
    const me = await client.me();
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      account: { accountId: op.accountId, email: op.email, mfaEnabled: false },
      memberships: [{ tenantId: t.tenant.tenantId, tenantName: 'test', role: 'developer' }],
      csrfToken: res.body.csrfToken,
      session: { status: 'signed_in' },
      mfaMandatory: false,
    });
  });

  it('answers /me with 401 without a session', async () => {
    const res = await new PortalClient(t.server.url).me();
    expect(res.status).toBe(401);
    expect(res.body.errorCode).toBe('unauthorized');
  });

  it('calls the Management API with the session, the CSRF header and X-Sigil-Tenant', async () => {
    const { client } = await signedIn(t, 'admin');
    const tenant = t.tenant.tenantId;
    expect((await client.management('GET', '/members', tenant)).status).toBe(200);
    // A missing tenant header is a 400; a state-changing call without CSRF is a 403, with a wrong one too.
    expect((await client.request('GET', '/v1/management/members')).status).toBe(400);
    const body = { name: 'web' };
    const noCsrf = await client.request('POST', '/v1/management/session-clients', { tenant, body, csrf: false });
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body.errorCode).toBe('forbidden');
    const wrong = await client.request('POST', '/v1/management/session-clients', {
      tenant,
      body,
      csrf: 'x'.repeat(43),
    });
    expect(wrong.status).toBe(403);
    const ok = await client.request('POST', '/v1/management/session-clients', { tenant, body });
    expect(ok.status).toBe(200);
  });

  it('refuses the CSRF check on portal routes too', async () => {
    const { client } = await signedIn(t, 'viewer');
    expect((await client.request('POST', '/v1/portal/sign-out', { csrf: false })).status).toBe(403);
    expect((await client.request('POST', '/v1/portal/sign-out', { csrf: 'nope' })).status).toBe(403);
    expect((await client.me()).status).toBe(200); // still signed in
  });

  it('never lets a cookie from before sign-in become the signed-in session (fixation)', async () => {
    const op = await createOperator(t, 'viewer');
    const client = new PortalClient(t.server.url);
    // An attacker's planted value, and a real partial session of the same browser.
    client.cookie = 'planted-value-from-an-attacker';
    await client.signIn(op.email, PASSWORD);
    expect(client.cookie).not.toBe('planted-value-from-an-attacker');
    const first = client.cookie;
    await client.signIn(op.email, PASSWORD);
    expect(client.cookie).not.toBe(first);
    // The earlier session no longer works.
    const stale = new PortalClient(t.server.url);
    stale.cookie = first;
    expect((await stale.me()).status).toBe(401);
  });

  it('ends a session after 30 minutes idle, and after 12 hours however busy', async () => {
    const { client } = await signedIn(t, 'viewer');
    clock.advance(29 * 60_000);
    expect((await client.me()).status).toBe(200);
    clock.advance(29 * 60_000); // idle time restarted at the last call
    expect((await client.me()).status).toBe(200);
    clock.advance(31 * 60_000);
    expect((await client.me()).status).toBe(401);

    const busy = (await signedIn(t, 'viewer')).client;
    for (let elapsed = 0; elapsed < 12 * 60; elapsed += 25) {
      clock.advance(25 * 60_000);
      const res = await busy.me();
      if (elapsed + 25 < 12 * 60) expect(res.status).toBe(200);
      else expect(res.status).toBe(401);
    }
  });

  it('revokes the session at sign-out and clears the cookie', async () => {
    const { client } = await signedIn(t, 'viewer');
    const cookie = client.cookie;
    const out = await client.request('POST', '/v1/portal/sign-out');
    expect(out.status).toBe(200);
    expect(out.body).toEqual({ success: true });
    expect(client.cookie).toBeUndefined();
    const replay = new PortalClient(t.server.url);
    replay.cookie = cookie;
    expect((await replay.me()).status).toBe(401);
  });

  it('lists the operator’s own sessions and revokes one', async () => {
    const { client, operator } = await signedIn(t, 'viewer');
    const other = new PortalClient(t.server.url);
    await other.signIn(operator.email, PASSWORD);
    const list = await client.request('GET', '/v1/portal/sessions');
    expect(list.status).toBe(200);
    expect(list.body).toHaveLength(2);
    const theirs = list.body.find((s: { current: boolean }) => !s.current);
    expect((await client.request('DELETE', `/v1/portal/sessions/${theirs.sessionId}`)).status).toBe(200);
    expect((await other.me()).status).toBe(401);
    expect((await client.me()).status).toBe(200);
    // Someone else's session is not found.
    const stranger = await signedIn(t, 'viewer');
    const mine = (await client.request('GET', '/v1/portal/sessions')).body[0].sessionId;
    expect((await stranger.client.request('DELETE', `/v1/portal/sessions/${mine}`)).status).toBe(404);
  });

  it('treats an unknown management path with a signed-in session as 404, without one as 401', async () => {
    const { client } = await signedIn(t, 'viewer');
    const known = await client.request('GET', '/v1/management/no-such-route', { tenant: t.tenant.tenantId });
    expect(known.status).toBe(404);
    const anonymous = await new PortalClient(t.server.url).request('GET', '/v1/management/no-such-route');
    expect(anonymous.status).toBe(401);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { databases } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createOperator, PASSWORD, PortalClient, signedIn, uniqueEmail } from './portal-client.js';

const tokenOf = (link: string) => link.split('/link/')[1] ?? '';

describe.each(databases)('team: members, invitations and tenants ($name)', { timeout: 60_000 }, (db) => {
  let t: TestServer;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    t = await startTestServer(db, {}, { clock });
  });
  afterAll(() => t.close());

  it('invites a new member by one-time link, which creates the account with its password', async () => {
    const tenant = t.tenant.tenantId;
    const { client: admin } = await signedIn(t, 'admin');
    const email = uniqueEmail('invitee');
    const created = await admin.management('POST', '/invites', tenant, {
      email: email.toUpperCase(),
      role: 'developer',
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ email, role: 'developer' });
    expect(created.body.link).toMatch(new RegExp(`^${t.server.url}/portal/#/link/[A-Za-z0-9_-]{43}$`));
    const expiresIn = Date.parse(created.body.expiresAt) - Date.parse(created.body.createdAt);
    expect(expiresIn).toBe(7 * 24 * 3_600_000);
    const listed = await admin.management('GET', '/invites', tenant);
    expect(listed.body.map((i: { inviteId: string }) => i.inviteId)).toContain(created.body.inviteId);
    expect(JSON.stringify(listed.body)).not.toContain(tokenOf(created.body.link));

    const token = tokenOf(created.body.link);
    const browser = new PortalClient(t.server.url);
    const described = await browser.request('GET', `/v1/portal/links/${token}`);
    expect(described.body).toEqual({
      kind: 'invite',
      email,
      tenantName: 'test',
      role: 'developer',
      needsPassword: true,
      accountExists: false,
    });
    const short = await browser.request('POST', '/v1/portal/links/redeem', { body: { token, password: 'short' } });
    expect(short.status).toBe(400);
    const redeemed = await browser.request('POST', '/v1/portal/links/redeem', { body: { token, password: PASSWORD } });
    expect(redeemed.status).toBe(200);
    expect(redeemed.body.status).toBe('signed_in');
    expect((await browser.me()).body.memberships).toEqual([
      { tenantId: tenant, tenantName: 'test', role: 'developer' },
    ]);
    // Used once; the invitation is no longer open; the new member signs in with the password.
    expect(
      (await browser.request('POST', '/v1/portal/links/redeem', { body: { token, password: PASSWORD } })).status,
    ).toBe(404);
    expect((await browser.request('GET', `/v1/portal/links/${token}`)).status).toBe(404);
    expect((await admin.management('GET', '/invites', tenant)).body).not.toContainEqual(
      expect.objectContaining({ inviteId: created.body.inviteId }),
    );
    expect((await new PortalClient(t.server.url).signIn(email, PASSWORD)).body.status).toBe('signed_in');
    const members = await admin.management('GET', '/members', tenant);
    expect(members.body).toContainEqual(expect.objectContaining({ email, role: 'developer', mfaEnabled: false }));
  });

  it('asks an existing account for its own password before adding the membership', async () => {
    const { tenant: other } = await t.newTenant('other');
    const existing = await createOperator(t, 'viewer', other.tenantId);
    const { client: owner } = await signedIn(t, 'owner');
    const created = await owner.management('POST', '/invites', t.tenant.tenantId, {
      email: existing.email,
      role: 'support',
    });
    const token = tokenOf(created.body.link);
    const browser = new PortalClient(t.server.url);
    expect((await browser.request('GET', `/v1/portal/links/${token}`)).body).toMatchObject({ accountExists: true });
    const wrong = await browser.request('POST', '/v1/portal/links/redeem', {
      body: { token, password: 'not my password' },
    });
    expect(wrong.status).toBe(401);
    const right = await browser.request('POST', '/v1/portal/links/redeem', { body: { token, password: PASSWORD } });
    expect(right.status).toBe(200);
    const roles = (await browser.me()).body.memberships.map((m: { role: string }) => m.role).sort();
    expect(roles).toEqual(['support', 'viewer']);
  });

  it('expires an invitation after 7 days, and a revoked one at once', async () => {
    const { client: admin } = await signedIn(t, 'admin');
    const a = await admin.management('POST', '/invites', t.tenant.tenantId, { email: uniqueEmail(), role: 'viewer' });
    const b = await admin.management('POST', '/invites', t.tenant.tenantId, { email: uniqueEmail(), role: 'viewer' });
    expect((await admin.management('DELETE', `/invites/${b.body.inviteId}`, t.tenant.tenantId)).status).toBe(200);
    expect((await admin.request('GET', `/v1/portal/links/${tokenOf(b.body.link)}`)).status).toBe(404);
    clock.advance(7 * 24 * 3_600_000 + 1);
    expect((await admin.request('GET', `/v1/portal/links/${tokenOf(a.body.link)}`)).status).toBe(404);
  });

  it('lets only an owner grant or take the owner role, and keeps the last owner', async () => {
    const { tenant } = await t.newTenant('owned');
    const owner = await signedIn(t, 'owner', tenant.tenantId);
    const admin = await signedIn(t, 'admin', tenant.tenantId);
    const dev = await createOperator(t, 'developer', tenant.tenantId);
    const id = tenant.tenantId;
    const promote = await admin.client.management('PATCH', `/members/${dev.accountId}`, id, { role: 'owner' });
    expect(promote.status).toBe(403);
    expect(
      (await admin.client.management('POST', '/invites', id, { email: uniqueEmail(), role: 'owner' })).status,
    ).toBe(403);
    const demoteOwner = await admin.client.management('PATCH', `/members/${owner.operator.accountId}`, id, {
      role: 'viewer',
    });
    expect(demoteOwner.status).toBe(403);
    expect(
      (await admin.client.management('PATCH', `/members/${dev.accountId}`, id, { role: 'support' })).body,
    ).toMatchObject({ accountId: dev.accountId, role: 'support' });
    // The only owner cannot step down or be removed.
    const last = await owner.client.management('PATCH', `/members/${owner.operator.accountId}`, id, { role: 'admin' });
    expect(last.status).toBe(409);
    expect(last.body.errorCode).toBe('conflict');
    expect((await owner.client.management('DELETE', `/members/${owner.operator.accountId}`, id)).status).toBe(409);
    expect((await owner.client.management('PATCH', `/members/${dev.accountId}`, id, { role: 'owner' })).status).toBe(
      200,
    );
    expect(
      (await owner.client.management('PATCH', `/members/${owner.operator.accountId}`, id, { role: 'admin' })).status,
    ).toBe(200);
    // The management key acts for the tenant as an owner would.
    const key = await fetch(`${t.apiUrl}/management/members/${owner.operator.accountId}`, {
      method: 'PATCH',
      headers: {
        authorization: `Basic ${Buffer.from(`${tenant.managementSecretKey}:`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ role: 'owner' }),
    });
    expect(key.status).toBe(200);
  });

  it('removes a member only after a fresh re-authentication', async () => {
    const { client: admin } = await signedIn(t, 'admin');
    const member = await createOperator(t, 'viewer');
    clock.advance(5 * 60_000 + 1);
    const stale = await admin.management('DELETE', `/members/${member.accountId}`, t.tenant.tenantId);
    expect(stale.status).toBe(403);
    expect(stale.body.errorCode).toBe('reauthentication_required');
    expect((await admin.request('POST', '/v1/portal/reauthenticate', { body: { password: PASSWORD } })).status).toBe(
      200,
    );
    expect((await admin.management('DELETE', `/members/${member.accountId}`, t.tenant.tenantId)).status).toBe(200);
    const members = await admin.management('GET', '/members', t.tenant.tenantId);
    expect(members.body.map((m: { accountId: string }) => m.accountId)).not.toContain(member.accountId);
  });

  it('lets an owner create a tenant and become its owner; others may not', async () => {
    const { client: owner } = await signedIn(t, 'owner');
    const created = await owner.request('POST', '/v1/portal/tenants', { body: { name: 'Second' } });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      name: 'Second',
      apiSecretKey: expect.stringMatching(/^sk_/),
      managementSecretKey: expect.stringMatching(/^mk_/),
    });
    const memberships = (await owner.me()).body.memberships;
    expect(memberships).toContainEqual({ tenantId: created.body.tenantId, tenantName: 'Second', role: 'owner' });
    expect((await owner.management('GET', '/members', created.body.tenantId)).status).toBe(200);
    const { client: admin } = await signedIn(t, 'admin');
    expect((await admin.request('POST', '/v1/portal/tenants', { body: { name: 'Nope' } })).status).toBe(403);
  });
});

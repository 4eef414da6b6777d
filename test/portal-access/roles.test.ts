import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { PERMISSIONS, ROLE_PERMISSIONS, ROLES, type Role, roleMay } from '../../src/modules/operators/roles.js';
import { root } from '../helpers/cli.js';
import { databases } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { type PortalClient, signedIn } from './portal-client.js';

/** Every Management API route the app serves, with a stand-in for each path parameter. */
function managementRoutes(t: TestServer) {
  const routes = t.server.app.routeCatalogue.filter((r) => r.url.startsWith('/v1/management/'));
  return routes.map((r) => ({ ...r, path: r.url.replace(/:([A-Za-z0-9_]+)/g, 'x-$1') }));
}

const call = (client: PortalClient, method: string, path: string, tenant: string) =>
  client.request(method, path, { tenant, ...(method === 'GET' || method === 'DELETE' ? {} : { body: {} }) });

describe.each(databases)('roles against every Management API route ($name)', { timeout: 180_000 }, (db) => {
  let t: TestServer;
  const clock = new ManualClock(Date.now());
  const clients = new Map<Role, PortalClient>();
  beforeAll(async () => {
    t = await startTestServer(db, {}, { clock });
    for (const role of ROLES) clients.set(role, (await signedIn(t, role)).client);
  });
  afterAll(() => t.close());

  it('names a permission for every route', () => {
    const routes = managementRoutes(t);
    expect(routes.length).toBeGreaterThan(20);
    expect(routes.filter((r) => !r.permission || !PERMISSIONS.includes(r.permission))).toEqual([]);
  });

  it('refuses a role with 403 exactly when roles.ts denies it the route', async () => {
    const mismatches: string[] = [];
    for (const route of managementRoutes(t)) {
      for (const role of ROLES) {
        const res = await call(clients.get(role) as PortalClient, route.method, route.path, t.tenant.tenantId);
        const allowed = roleMay(role, route.permission ?? 'team:write');
        const refused = res.status === 403 && res.body?.errorCode === 'forbidden';
        if (allowed === refused || res.status === 401 || res.status >= 500) {
          mismatches.push(
            `${role} ${route.method} ${route.url} (${route.permission}): ${res.status} ${res.body?.errorCode}`,
          );
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('lets no member of tenant A read or write tenant B through any route', async () => {
    const { tenant: b } = await t.newTenant('tenant B');
    const owner = clients.get('owner') as PortalClient;
    const leaks: string[] = [];
    for (const route of managementRoutes(t)) {
      const res = await call(owner, route.method, route.path, b.tenantId);
      if (res.status !== 403 || res.body?.errorCode !== 'forbidden')
        leaks.push(`${route.method} ${route.url}: ${res.status}`);
    }
    expect(leaks).toEqual([]);
    // And B's data is out of reach from A's own tenant: found by ID, it does not exist there.
    const made = await fetch(`${t.apiUrl}/management/session-clients`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${b.managementSecretKey}:`).toString('base64')}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ name: 'b-only' }),
    });
    const { clientId } = (await made.json()) as { clientId: string };
    const a = t.tenant.tenantId;
    expect((await owner.management('GET', `/session-clients/${clientId}`, a)).status).toBe(404);
    expect((await owner.management('DELETE', `/session-clients/${clientId}`, a)).status).toBe(404);
    const listed = await owner.management('GET', '/session-clients', a);
    expect(JSON.stringify(listed.body)).not.toContain(clientId);
  });

  it('asks for a fresh password or code on every fresh route after five minutes', async () => {
    const fresh = managementRoutes(t).filter((r) => r.fresh);
    expect(fresh.length).toBeGreaterThan(0);
    const owner = (await signedIn(t, 'owner')).client;
    clock.advance(5 * 60_000 + 1);
    for (const route of fresh) {
      const res = await call(owner, route.method, route.path, t.tenant.tenantId);
      expect(res.status, `${route.method} ${route.url}`).toBe(403);
      expect(res.body.errorCode).toBe('reauthentication_required');
    }
  });

  it('matches the roles table in docs/portal-access.md', () => {
    const doc = readFileSync(join(root, 'docs/portal-access.md'), 'utf8');
    for (const permission of PERMISSIONS) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${permission}\``));
      expect(row, permission).toBeDefined();
      const cells = (row ?? '')
        .split('|')
        .slice(2, 2 + ROLES.length)
        .map((c) => c.trim());
      const expected = ROLES.map((role) => (ROLE_PERMISSIONS[role].includes(permission) ? 'yes' : ''));
      expect(cells, permission).toEqual(expected);
    }
  });
});

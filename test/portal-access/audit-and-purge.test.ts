import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { databases } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { signedIn } from './portal-client.js';

// biome-ignore lint/suspicious/noExplicitAny: entries are read field by field.
type Entry = Record<string, any>;

const DAY = 24 * 60 * 60_000;

describe.each(databases)(
  'portal events in the audit log, and the purge of ended sessions ($name)',
  { timeout: 60_000 },
  (db) => {
    let t: TestServer;
    const clock = new ManualClock(Date.now());
    beforeAll(async () => {
      t = await startTestServer(db, {}, { clock });
    });
    afterAll(() => t.close());

    it("records sign-in, tenant creation and sign-out with the operator, in each of the account's tenants", async () => {
      const { client, operator } = await signedIn(t, 'owner');
      const created = await client.request('POST', '/v1/portal/tenants', { body: { name: 'second' } });
      expect(created.status).toBe(200);
      const second = created.body.tenantId as string;
      const log = async (tenant: string) =>
        (await client.management('GET', '/audit-log', tenant)).body.entries as {
          action: string;
          actor: { kind: string; id: string; email?: string };
          ipAddress: string;
        }[];
      const first = (await log(t.tenant.tenantId)).filter((e) => e.actor.id === operator.accountId);
      expect(first.map((e) => e.action)).toEqual(['portal.sign-in']);
      expect(first[0]).toMatchObject({
        actor: { kind: 'operator', id: operator.accountId, email: operator.email },
        ipAddress: '127.0.0.1',
      });
      expect((await log(second)).map((e) => e.action)).toEqual(['portal.tenants.create']);

      clock.advance(1_000); // entries are ordered by time: the sign-out comes after
      expect((await client.request('POST', '/v1/portal/sign-out')).status).toBe(200);
      const { client: other } = await signedIn(t, 'owner');
      const after = (await other.management('GET', '/audit-log', t.tenant.tenantId)).body.entries as {
        action: string;
        actor: { id: string };
      }[];
      expect(after.filter((e) => e.actor.id === operator.accountId).map((e) => e.action)).toEqual([
        'portal.sign-out',
        'portal.sign-in',
      ]);
    });

    it("records an operator's Management API write with its before and after, read with the operator's session", async () => {
      const { client, operator } = await signedIn(t, 'developer');
      const tenant = t.tenant.tenantId;
      const before = (await client.management('GET', '/sms-defences', tenant)).body;
      const patched = await client.management('PATCH', '/sms-defences', tenant, { tenantDailyLimit: 4321 });
      expect(patched.status).toBe(200);
      const { client: owner } = await signedIn(t, 'owner');
      const entries = (await owner.management('GET', `/audit-log?actor=${operator.accountId}`, tenant)).body
        .entries as Entry[];
      const entry = entries.find((e) => e.action === 'sms-defences.update');
      expect(entry).toMatchObject({
        actor: { kind: 'operator', id: operator.accountId, email: operator.email },
        status: 200,
        before: { tenantDailyLimit: before.tenantDailyLimit },
        after: { tenantDailyLimit: 4321 },
      });
    });

    it('deletes ended sessions once the retention has passed, and keeps live ones', async () => {
      const { client } = await signedIn(t, 'viewer');
      const { client: leaving } = await signedIn(t, 'viewer');
      await leaving.request('POST', '/v1/portal/sign-out');
      const sessions = t.server.deps.operators.sessions;
      // Not yet: an ended session is kept as long as the retention says, so the portal can show it.
      expect(await sessions.purgeEnded(clock.now() - 30 * DAY, 1000)).toBe(0);
      expect(await sessions.purgeEnded(clock.now() + 1, 1000)).toBeGreaterThanOrEqual(1);
      expect((await client.me()).status).toBe(200);
    });
  },
);

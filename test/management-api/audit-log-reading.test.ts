import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, ManualClock } from '../../src/lib/clock.js';
import { recordAudit } from '../../src/modules/audit/service.js';
import { databases } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { managementCalls } from './management-calls.js';

type Call = Awaited<ReturnType<ReturnType<typeof managementCalls>['tenant']>>['call'];
// biome-ignore lint/suspicious/noExplicitAny: entries are read field by field.
type Entry = Record<string, any>;

/** Reading the log: paging by cursor, filters, tenant isolation and retention. */
describe.each(databases)('audit log: reading it ($name)', (db) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(db);
  });
  afterAll(async () => {
    await t?.close();
  });
  const { tenant } = managementCalls(() => t);

  const page = async (call: Call, query: string) => {
    const res = await call('GET', `/audit-log${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as { entries: Entry[]; nextCursor: string | null };
  };
  /** Every page of a query, following nextCursor. */
  const all = async (call: Call, query: string, between?: () => Promise<void>) => {
    const seen: Entry[] = [];
    let cursor: string | null = null;
    do {
      const sep = query ? '&' : '?';
      const body = await page(call, `${query}${cursor ? `${sep}cursor=${cursor}` : ''}`);
      seen.push(...body.entries);
      cursor = body.nextCursor;
      if (between) await between();
    } while (cursor);
    return seen;
  };
  const templateWrites = async (call: Call, locales: string[]) => {
    for (const locale of locales) {
      expect((await call('PUT', `/sms-templates/${locale}`, { text: `{code} (${locale})` })).status).toBe(200);
    }
  };

  it('pages newest first by cursor, every entry once, even while new entries arrive', async () => {
    const { call } = await tenant();
    const locales = ['de', 'fr', 'es', 'it', 'nl', 'pt', 'sv'];
    await templateWrites(call, locales);
    const first = await page(call, '?limit=3');
    expect(first.entries).toHaveLength(3);
    expect(first.nextCursor).toEqual(expect.any(String));
    let extra = 0;
    const seen = await all(call, '?limit=3', async () => {
      // A write between pages lands before the cursor, so it never shifts what the next page holds.
      if (extra < 2) await templateWrites(call, [['ja', 'ko'][extra++] as string]);
    });
    const paths = seen.map((e) => e.path.split('/').pop());
    expect(new Set(seen.map((e) => e.entryId)).size).toBe(seen.length);
    expect(paths).toEqual(expect.arrayContaining(locales));
    // Newest first; entries of the same millisecond follow their IDs, so only times are compared.
    expect(paths.filter((p) => locales.includes(p)).sort()).toEqual([...locales].sort());
    const times = seen.map((e) => Date.parse(e.at));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect((await page(call, '?limit=200')).entries).toHaveLength(locales.length + 2);
  });

  it('filters by action, or its first part, by actor, and by time', async () => {
    const { call, tenantId } = await tenant();
    await templateWrites(call, ['de']);
    await call('PATCH', '/sms-defences', { tenantDailyLimit: 100 });
    const operator = { kind: 'operator', id: 'acct-1', email: 'Ops@Example.com' } as const;
    await recordAudit(t.server.deps, {
      tenantId,
      actor: operator,
      action: 'portal.sign-in',
      method: 'POST',
      route: '/v1/portal/sign-in',
      path: '/v1/portal/sign-in',
      status: 200,
      ipAddress: '203.0.113.9',
      request: { email: 'ops@example.com', password: 'hunter2hunter2' },
    });
    const actions = async (q: string) => (await page(call, q)).entries.map((e) => e.action);
    expect(await actions('?action=sms-defences')).toEqual(['sms-defences.update']);
    expect(await actions('?action=sms-templates.update')).toEqual(['sms-templates.update']);
    expect(await actions('?action=sms-templates.delete')).toEqual([]);
    expect(await actions('?action=sms')).toEqual([]);
    const keyId = await managementKeyId(call);
    expect(await actions(`?actor=${keyId}`)).toEqual(['sms-defences.update', 'sms-templates.update']);
    expect(await actions('?actor=acct-1')).toEqual(['portal.sign-in']);
    const [signIn] = (await page(call, '?actor=ops%40example.com')).entries;
    expect(signIn).toMatchObject({
      actor: { kind: 'operator', id: 'acct-1', email: 'ops@example.com' },
      ipAddress: '203.0.113.9',
      request: { email: 'ops@example.com', password: '••••' },
    });
    const at = (signIn as Entry).at as string;
    expect(await actions(`?from=${encodeURIComponent(at)}`)).toContain('portal.sign-in');
    expect(await actions(`?to=${encodeURIComponent(at)}`)).not.toContain('portal.sign-in');
    expect(await actions('?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z')).toEqual([]);
  });

  it('refuses bad filters with a 400 that names them', async () => {
    const { call } = await tenant();
    for (const [query, field] of [
      ['?limit=0', /limit/],
      ['?limit=201', /limit/],
      ['?limit=ten', /limit/],
      ['?cursor=bm90LWEtY3Vyc29y', /cursor/],
      ['?cursor=a%20b', /cursor/],
      ['?from=yesterday', /from/],
      ['?to=2026-13-45T00:00:00Z', /to/],
      ['?action=Not%20an%20action!', /action/],
    ] as const) {
      const res = await call('GET', `/audit-log${query}`);
      expect(res.status, query).toBe(400);
      expect(res.body).toMatchObject({ errorCode: 'invalid_request', errorDescription: expect.stringMatching(field) });
    }
  });

  it("never shows one tenant another's entries, whatever the cursor", async () => {
    const a = await tenant();
    const b = await tenant();
    await templateWrites(a.call, ['de', 'fr', 'es']);
    await templateWrites(b.call, ['it']);
    const ofA = await all(a.call, '?limit=1');
    const ofB = await all(b.call, '');
    expect(ofA.map((e) => e.tenantId)).toEqual([a.tenantId, a.tenantId, a.tenantId]);
    expect(ofB.map((e) => e.tenantId)).toEqual([b.tenantId]);
    const cursorOfA = (await page(a.call, '?limit=1')).nextCursor;
    const withIt = await page(b.call, `?cursor=${cursorOfA}`);
    expect(withIt.entries.every((e) => e.tenantId === b.tenantId)).toBe(true);
    expect((await page(b.call, `?actor=${await managementKeyId(b.call)}&action=sms-templates`)).entries).toHaveLength(
      1,
    );
    expect((await page(b.call, `?actor=${await managementKeyId(a.call)}`)).entries).toHaveLength(0);
  });
});

describe.each(databases)('audit log: retention ($name)', (db) => {
  let t: TestServer;
  const clock = new ManualClock(Date.UTC(2026, 5, 1));
  beforeAll(async () => {
    t = await startTestServer(
      db,
      { SIGIL_AUDIT_RETENTION_DAYS: '30', SIGIL_SESSION_PURGE_INTERVAL_MS: '50' },
      { clock },
    );
  });
  afterAll(async () => {
    await t?.close();
  });
  const { tenant } = managementCalls(() => t);

  it('the hourly sweep deletes entries past SIGIL_AUDIT_RETENTION_DAYS and keeps the rest', async () => {
    const { call } = await tenant();
    await call('PUT', '/sms-templates/de', { text: '{code} alt' });
    clock.advance(20 * DAY_MS);
    await call('PUT', '/sms-templates/fr', { text: '{code} neu' });
    const paths = async () => (await call('GET', '/audit-log')).body.entries.map((e: Entry) => e.path);
    expect(await paths()).toHaveLength(2);
    clock.advance(11 * DAY_MS);
    // The sweep runs every 50 ms here: the 31-day-old entry goes, the 11-day-old one stays.
    const deadline = Date.now() + 5_000;
    while ((await paths()).length > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await paths()).toEqual(['/v1/management/sms-templates/fr']);
  });
});

describe.each(databases)('audit log: retention 0 ($name)', (db) => {
  let t: TestServer;
  const clock = new ManualClock(Date.UTC(2026, 5, 1));
  beforeAll(async () => {
    t = await startTestServer(
      db,
      { SIGIL_AUDIT_RETENTION_DAYS: '0', SIGIL_SESSION_PURGE_INTERVAL_MS: '20' },
      { clock },
    );
  });
  afterAll(async () => {
    await t?.close();
  });
  const { tenant } = managementCalls(() => t);

  it('keeps every entry, however old, through many sweeps', async () => {
    const { call } = await tenant();
    await call('PUT', '/sms-templates/de', { text: '{code} alt' });
    clock.advance(4000 * DAY_MS);
    await new Promise((r) => setTimeout(r, 300));
    expect((await call('GET', '/audit-log')).body.entries).toHaveLength(1);
    expect(await t.server.deps.auditLog.purge(0)).toBe(0);
  });
});

/** The tenant's management key, which the audit log names as the actor of the key's writes. */
// biome-ignore lint/suspicious/noExplicitAny: the helper's call answers many shapes.
async function managementKeyId(call: (...args: any[]) => Promise<{ body: any }>): Promise<string> {
  const keys = (await call('GET', '/api-keys')).body as { keyId: string; kind: string }[];
  const key = keys.find((k) => k.kind === 'management');
  if (!key) throw new Error('the tenant has no management key');
  return key.keyId;
}

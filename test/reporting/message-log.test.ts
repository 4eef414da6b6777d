import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { rebuildHourly } from '../../src/modules/sms/hourly.js';
import { MAGIC } from '../fakes/common.js';
import { startTwilioFake } from '../fakes/twilio.js';
import { databases } from '../helpers/databases.js';
import { type ManagementClient, management } from '../helpers/management.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';
import { twilioCreate } from '../management-api/management-calls.js';

interface Row {
  id: string;
  at: string;
  phoneNumber: string;
  country: string | null;
  prefix: string | null;
  provider: string | null;
  status: string;
  vendorError: string | null;
  reason: string | null;
  challengeId: string | null;
  userId: string | null;
  segments: number | null;
}
interface Log {
  items: Row[];
  nextCursor: string | null;
}

const codeIn = (text: string) => /\b(\d{6})\b/.exec(text)?.[1] as string;

/**
 * The message log and the dashboard's summaries over what was really done: four codes through the Twilio fake
 * (verified, delivered after 3 s, failed by the carrier, refused by Twilio) and one send refused by the
 * per-number sending limit, on each database.
 */
describe.each(databases)('the message log and summaries ($name)', (db) => {
  let t: TestServer;
  let api: ManagementClient;
  let fake: Awaited<ReturnType<typeof startTwilioFake>>;
  const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
  const numbers = { alice: phone(), bob: phone(), carol: MAGIC.failsByReceipt, dave: MAGIC.invalidNumber };
  const challengeOf: Record<string, string> = {};
  let receiptUrl = '';
  let sdkOf: TestServer['sdk'];

  beforeAll(async () => {
    fake = await startTwilioFake();
    t = await startTestServer(db, {}, { clock });
    const { tenant, sdk } = await t.newTenant('reporting');
    sdkOf = sdk;
    api = management(t.apiUrl, tenant.managementSecretKey, '');
    expect((await api.request('POST', '/authenticator-configurations/sms', twilioCreate)).status).toBe(200);
    const put = await api.request<{ providers: { receiptUrl: string }[] }>('PUT', '/sms-providers', {
      providers: [fake.config()],
    });
    receiptUrl = put.body.providers[0]?.receiptUrl as string;
    const limited = await api.request('PATCH', '/authenticator-configurations/sms', {
      sendingRateLimitConfigurations: [{ rateLimit: 1, windowInMinutes: 60 }],
    });
    expect(limited.status).toBe(200);
    const send = async (user: keyof typeof numbers) => {
      clock.advance(1000);
      const to = numbers[user];
      const res = await sdk
        .challenge({ verificationMethod: 'SMS', action: 'signIn', userId: user, phoneNumber: to })
        .catch((e) => e);
      const row = await t.server.deps.db
        .selectFrom('challenges')
        .select('id')
        .where('phone_number', '=', to)
        .orderBy('created_at', 'desc')
        .executeTakeFirstOrThrow();
      challengeOf[user] = row.id;
      return res;
    };
    const messageTo = (to: string) => fake.messages.filter((m) => m.to === to).at(-1);

    await send('alice');
    const verified = await sdk.verify({
      challengeId: challengeOf.alice as string,
      verificationCode: codeIn(messageTo(numbers.alice)?.text ?? ''),
    });
    expect(verified.isVerified).toBe(true);
    await send('bob');
    clock.advance(3000);
    expect(await fake.postReceipt(receiptUrl, messageTo(numbers.bob)?.id ?? '', 'delivered')).toBeLessThan(300);
    await send('carol');
    expect(await fake.postReceipt(receiptUrl, messageTo(numbers.carol)?.id ?? '', 'failed')).toBeLessThan(300);
    expect(await send('dave')).toMatchObject({ statusCode: 400 });
    // Bob again within the hour: the sending limit refuses it before any vendor is asked.
    clock.advance(1000);
    const resend = await t.fetch('/challenge', {
      method: 'POST',
      key: tenant.apiSecretKey,
      body: JSON.stringify({ challengeId: challengeOf.bob }),
    });
    expect(resend.status).toBe(429);
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const log = async (query = '') => {
    const res = await api.request<Log>('GET', `/sms/messages${query}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };

  it('lists every attempt and the refused send, newest first, masked, with reasons in words', async () => {
    const { items } = await log();
    expect(items.map((r) => [r.userId, r.status])).toEqual([
      ['bob', 'refused'],
      ['dave', 'failed'],
      ['carol', 'failed'],
      ['bob', 'delivered'],
      ['alice', 'sent'],
    ]);
    const [refused, dave, carol, bob, alice] = items as [Row, Row, Row, Row, Row];
    expect(refused).toMatchObject({
      provider: null,
      challengeId: challengeOf.bob,
      reason: 'Sigil refused it: the per-number sending limit',
    });
    expect(dave).toMatchObject({
      provider: 'twilio',
      vendorError: 'invalid_number',
      reason: 'twilio refused the number as not valid',
    });
    expect(carol).toMatchObject({ vendorError: '30003', reason: 'The carrier did not deliver it (30003)' });
    expect(bob).toMatchObject({ country: 'NZ', prefix: numbers.bob.slice(0, 5), segments: 1, reason: null });
    expect(alice.challengeId).toBe(challengeOf.alice);
    const text = JSON.stringify(items);
    for (const n of Object.values(numbers)) expect(text).not.toContain(n);
    expect(alice.phoneNumber.slice(-2)).toBe(numbers.alice.slice(-2));
  });

  it('filters in SQL by status, provider, country, prefix, user, challenge and time', async () => {
    const statuses = async (q: string) => (await log(q)).items.map((r) => `${r.userId}:${r.status}`);
    expect(await statuses('?status=failed')).toEqual(['dave:failed', 'carol:failed']);
    expect(await statuses('?status=refused')).toEqual(['bob:refused']);
    expect(await statuses('?provider=twilio')).toHaveLength(4);
    expect(await statuses('?userId=bob')).toEqual(['bob:refused', 'bob:delivered']);
    expect(await statuses(`?challengeId=${challengeOf.carol}`)).toEqual(['carol:failed']);
    expect(await statuses('?country=nz')).toHaveLength(5);
    expect(await statuses(`?prefix=${encodeURIComponent(numbers.alice.slice(0, 5))}`)).toContain('alice:sent');
    expect(await statuses('?prefix=%2B1555')).toEqual([]);
    const second = (await log()).items[3]?.at as string;
    expect(await statuses(`?to=${encodeURIComponent(second)}`)).toEqual(['alice:sent']);
    expect(await statuses(`?from=${encodeURIComponent(second)}&status=delivered`)).toEqual(['bob:delivered']);
  });

  it('pages by cursor across both sources without losing or repeating a row', async () => {
    const all = (await log()).items.map((r) => r.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Log = await log(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all);
  });

  it('refuses a bad cursor, instant or status with a 400, and shows another tenant nothing', async () => {
    for (const q of ['?cursor=bm90LWpzb24', '?from=yesterday', '?status=lost', '?limit=0']) {
      const res = await api.request<{ error: string; errorCode: string }>('GET', `/sms/messages${q}`);
      expect(res.status, q).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request' });
    }
    const other = management(t.apiUrl, t.tenant.managementSecretKey, '');
    expect((await other.request<Log>('GET', '/sms/messages')).body.items).toEqual([]);
  });

  it('sums by day what was done: sent, delivered, verified, conversion, latency, refusals, failures', async () => {
    const res = await api.request<{
      rows: { key: string; sent: number }[];
      totals: Record<string, number | null>;
      failuresByReason: { reason: string; count: number }[];
      refusalsByLimit: { defence: string; count: number }[];
    }>('GET', '/sms/summary?groupBy=day');
    expect(res.status).toBe(200);
    expect(res.body.totals).toEqual({
      sent: 3,
      delivered: 1,
      failed: 2,
      refused: 1,
      verified: 1,
      conversion: 0.3333,
      // One delivery, 3 s after its send: in the (2 s, 3 s] bucket, interpolated.
      latencyP50Ms: 2500,
      latencyP95Ms: 2950,
      segments: 3,
      estimatedCost: null,
    });
    // Seven times 24 hours, ending at noon: eight UTC days, each with a row.
    expect(res.body.rows).toHaveLength(8);
    expect(res.body.rows.at(-1)).toMatchObject({ key: '2026-06-01', sent: 3 });
    expect(res.body.failuresByReason.map((f) => [f.reason, f.count]).sort()).toEqual([
      ['30003', 1],
      ['invalid_number', 1],
    ]);
    expect(res.body.refusalsByLimit).toEqual([
      { defence: 'sending_limit', words: 'the per-number sending limit', count: 1 },
    ]);
  });

  it('groups by provider and prefix, and estimates cost from the price table', async () => {
    const put = await api.request('PUT', '/sms/prices', { currency: 'NZD', perSegment: { NZ: 0.08 }, default: null });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toMatchObject({ currency: 'NZD', perSegment: { NZ: 0.08 }, default: null });
    const byProvider = await api.request<{ currency: string; rows: Record<string, unknown>[] }>(
      'GET',
      '/sms/summary?groupBy=provider',
    );
    expect(byProvider.body.currency).toBe('NZD');
    expect(byProvider.body.rows).toMatchObject([
      { key: 'twilio', sent: 3, failed: 2, refused: 0, estimatedCost: 0.24 },
      { key: 'unknown', sent: 0, refused: 1 },
    ]);
    const byPrefix = await api.request<{ rows: { key: string; sent: number }[] }>('GET', '/sms/summary?groupBy=prefix');
    expect(byPrefix.body.rows.reduce((n, r) => n + r.sent, 0)).toBe(3);
    const bad = await api.request('PUT', '/sms/prices', { currency: 'dollars', perSegment: {}, default: null });
    expect(bad.status).toBe(400);
    const wide = await api.request('GET', '/sms/summary?from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z');
    expect(wide.status).toBe(400);
  });

  it('keeps the hourly counts equal to a recount of the attempts, before and after folding', async () => {
    const { db } = t.server.deps;
    const tenantId = (
      await db
        .selectFrom('sms_sends')
        .select('tenant_id')
        .where('challenge_id', '=', challengeOf.bob as string)
        .executeTakeFirstOrThrow()
    ).tenant_id;
    // Cells and unfolded deltas together, summed by cell: what the summary reads.
    const counts = async () => {
      const sums = new Map<string, number>();
      for (const table of ['sms_hourly', 'sms_hourly_deltas'] as const) {
        for (const c of await db
          .selectFrom(table as 'sms_hourly')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .execute()) {
          const key = JSON.stringify(
            [c.hour, c.country, c.prefix, c.provider, c.status, c.accepted, c.verified, c.bucket, c.reason].map(String),
          );
          sums.set(key, (sums.get(key) ?? 0) + Number(c.count));
        }
      }
      return [...sums.entries()].filter(([, n]) => n !== 0).sort();
    };
    const kept = await counts();
    expect(kept.reduce((n, [, c]) => n + c, 0)).toBe(4); // four attempts, each in one cell
    await t.server.deps.transaction((tx) => tx.sms.foldHourly(100_000));
    expect(await db.selectFrom('sms_hourly_deltas').select('id').where('tenant_id', '=', tenantId).execute()).toEqual(
      [],
    );
    expect(await counts()).toEqual(kept);
    await rebuildHourly(db, tenantId);
    expect(await counts()).toEqual(kept);
  });

  it('counts track outcomes by action as track reported them', async () => {
    const { tenant, sdk } = await t.newTenant('outcomes');
    const own = management(t.apiUrl, tenant.managementSecretKey, '');
    const expected: Record<string, Record<string, number>> = {};
    for (const action of ['signIn', 'signIn', 'withdraw']) {
      const { state } = await sdk.track({ userId: 'erin', action });
      const row = expected[action] ?? { ALLOW: 0, CHALLENGE_REQUIRED: 0, REVIEW_REQUIRED: 0, BLOCK: 0 };
      row[state as string] = (row[state as string] ?? 0) + 1;
      expected[action] = row;
    }
    const res = await own.request<{ rows: Record<string, unknown>[] }>('GET', '/actions/outcomes?groupBy=action');
    expect(res.status).toBe(200);
    expect(res.body.rows).toEqual(Object.entries(expected).map(([key, counts]) => ({ key, ...counts })));
    const byDay = await own.request<{ rows: { key: string; ALLOW: number }[] }>('GET', '/actions/outcomes');
    expect(byDay.body.rows).toHaveLength(8);
    expect(byDay.body.rows.at(-1)).toMatchObject({
      key: '2026-06-01',
      ALLOW: (expected.signIn?.ALLOW ?? 0) + (expected.withdraw?.ALLOW ?? 0),
    });
  });

  it('counts 20 sends and their receipts made at once exactly, receipts replayed included', async () => {
    const before = await api.request<{ totals: { sent: number; delivered: number } }>('GET', '/sms/summary');
    const numbers = Array.from({ length: 20 }, () => phone());
    await Promise.all(
      numbers.map((to) => sdkOf.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to })),
    );
    const ids = numbers.map((to) => fake.messages.find((m) => m.to === to)?.id ?? '');
    // Each receipt twice, all at once: the replay is stored once and moves nothing.
    const posted = await Promise.all([...ids, ...ids].map((id) => fake.postReceipt(receiptUrl, id, 'delivered')));
    expect(posted.every((status) => status < 300)).toBe(true);
    const after = await api.request<{ totals: { sent: number; delivered: number } }>('GET', '/sms/summary');
    expect(after.body.totals.sent - before.body.totals.sent).toBe(20);
    expect(after.body.totals.delivered - before.body.totals.delivered).toBe(20);
  });
});

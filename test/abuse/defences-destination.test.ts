import { parsePhoneNumberWithError } from 'libphonenumber-js/max';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import type { PrefixLimit, SmsPolicy } from '../../src/modules/limits/policy.js';
import { limitBackends } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// biome-ignore lint/suspicious/noExplicitAny: error and success bodies have many shapes; tests read fields.
type Reply = { status: number; retryAfter: string | null; body: any };

/** Numbers whose line type libphonenumber (the metadata Sigil uses) knows; the first test checks each. */
const N = {
  nzMobile: '+64211234567',
  nzMobile2: '+64211234568',
  nzMobileOtherBlock: '+64221234567',
  auMobile: '+61412345678',
  auMobileSameBlock: '+61412345679',
  nzFixed: '+6493001234',
  ukPremium: '+449098790000',
  ukVoip: '+445612345678',
  usTollFree: '+18005550123',
};

/** Policy refusals do not end with time: Retry-After is a day. */
const POLICY_RETRY_SECONDS = '86400';

describe.each(limitBackends)('where codes may go ($name)', (backend) => {
  let t: TestServer;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    t = await startTestServer(backend, {}, { clock });
  });
  afterAll(() => t.close());

  async function tenant(change?: (p: SmsPolicy) => SmsPolicy) {
    const { tenant } = await t.newTenant();
    if (change) await t.server.deps.smsPolicies.update(tenant.tenantId, change);
    const send = async (phoneNumber: string): Promise<Reply> => {
      const res = await t.fetch('/challenge', {
        method: 'POST',
        key: tenant.apiSecretKey,
        body: JSON.stringify({ verificationMethod: 'SMS', action: 'signIn', phoneNumber }),
      });
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
    };
    const sentTo = async () =>
      (
        await t.server.deps.db.selectFrom('dev_inbox').select('to').where('tenant_id', '=', tenant.tenantId).execute()
      ).map((r) => r.to);
    const triggers = () =>
      t.server.deps.db
        .selectFrom('sms_decision_triggers')
        .select(['defence', 'mode'])
        .where('tenant_id', '=', tenant.tenantId)
        .execute();
    return { tenantId: tenant.tenantId, send, sentTo, triggers };
  }
  const refusedWith = (reply: Reply, description: string) => {
    expect(reply.status).toBe(429);
    expect(reply.retryAfter).toBe(POLICY_RETRY_SECONDS);
    expect(reply.body).toEqual({
      error: 'too_many_requests',
      errorCode: 'too_many_requests',
      errorDescription: `${description} Try again later.`,
    });
  };

  it('uses numbers of the line types and countries the tests name', () => {
    const typeOf = (n: string) => parsePhoneNumberWithError(n).getType();
    expect(typeOf(N.ukPremium)).toBe('PREMIUM_RATE');
    expect(typeOf(N.ukVoip)).toBe('VOIP');
    expect(typeOf(N.nzFixed)).toBe('FIXED_LINE');
    expect(typeOf(N.usTollFree)).toBe('TOLL_FREE');
    for (const n of [N.nzMobile, N.nzMobile2, N.nzMobileOtherBlock, N.auMobile, N.auMobileSameBlock]) {
      expect(typeOf(n)).toBe('MOBILE');
    }
    expect(parsePhoneNumberWithError(N.auMobile).country).toBe('AU');
  });

  describe('country (smsCountryCodes)', () => {
    it('sends to every country by default', async () => {
      const c = await tenant();
      expect((await c.send(N.nzMobile)).status).toBe(200);
      expect((await c.send(N.auMobile)).status).toBe(200);
    });

    it('refuses a country not in the list, sends none, and records the refusal', async () => {
      const c = await tenant((p) => ({ ...p, smsCountryCodes: ['NZ'] }));
      refusedWith(
        await c.send(N.auMobile),
        "Codes are not sent to numbers of AU: it is not in the tenant's smsCountryCodes.",
      );
      expect((await c.send(N.nzMobile)).status).toBe(200);
      expect(await c.sentTo()).toEqual([N.nzMobile]);
      expect(await c.triggers()).toEqual([{ defence: 'country', mode: 'enforce' }]);
    });

    it('does not reopen with time, only when the policy allows the country', async () => {
      const c = await tenant((p) => ({ ...p, smsCountryCodes: ['NZ'] }));
      expect((await c.send(N.auMobile)).status).toBe(429);
      clock.advance(25 * 3_600_000);
      expect((await c.send(N.auMobile)).status).toBe(429);
      await t.server.deps.smsPolicies.update(c.tenantId, (p) => ({ ...p, smsCountryCodes: ['NZ', 'AU'] }));
      expect((await c.send(N.auMobile)).status).toBe(200);
    });

    it('in record_only, sends and records; off, sends and records nothing', async () => {
      const recorded = await tenant((p) => ({
        ...p,
        smsCountryCodes: ['NZ'],
        modes: { ...p.modes, country: 'record_only' },
      }));
      expect((await recorded.send(N.auMobile)).status).toBe(200);
      expect(await recorded.sentTo()).toEqual([N.auMobile]);
      expect(await recorded.triggers()).toEqual([{ defence: 'country', mode: 'record_only' }]);
      const off = await tenant((p) => ({ ...p, smsCountryCodes: ['NZ'], modes: { ...p.modes, country: 'off' } }));
      expect((await off.send(N.auMobile)).status).toBe(200);
      expect(await off.triggers()).toEqual([]);
    });

    it("keeps tenants apart: one tenant's list does not bind another", async () => {
      await tenant((p) => ({ ...p, smsCountryCodes: ['NZ'] }));
      expect((await (await tenant()).send(N.auMobile)).status).toBe(200);
    });
  });

  describe('line_type', () => {
    it('refuses premium-rate, toll-free and fixed-line numbers by default, and sends to VoIP and mobile', async () => {
      const c = await tenant();
      refusedWith(await c.send(N.ukPremium), 'Codes are not sent to premium rate numbers.');
      refusedWith(await c.send(N.usTollFree), 'Codes are not sent to toll free numbers.');
      refusedWith(await c.send(N.nzFixed), 'Codes are not sent to fixed line numbers.');
      expect((await c.send(N.ukVoip)).status).toBe(200);
      expect((await c.send(N.nzMobile)).status).toBe(200);
      expect((await c.sentTo()).sort()).toEqual([N.ukVoip, N.nzMobile].sort());
    });

    it('lets a tenant allow fixed lines or refuse VoIP, but never allow premium rate', async () => {
      const c = await tenant((p) => ({ ...p, lineTypes: { allowFixedLine: true, allowVoip: false } }));
      expect((await c.send(N.nzFixed)).status).toBe(200);
      refusedWith(await c.send(N.ukVoip), 'Codes are not sent to voip numbers.');
      expect((await c.send(N.ukPremium)).status).toBe(429);
    });

    it('does not reopen with time', async () => {
      const c = await tenant();
      expect((await c.send(N.ukPremium)).status).toBe(429);
      clock.advance(25 * 3_600_000);
      expect((await c.send(N.ukPremium)).status).toBe(429);
    });

    it('in record_only, sends even to premium rate and records it', async () => {
      const c = await tenant((p) => ({ ...p, modes: { ...p.modes, line_type: 'record_only' } }));
      expect((await c.send(N.ukPremium)).status).toBe(200);
      expect(await c.sentTo()).toEqual([N.ukPremium]);
      expect(await c.triggers()).toEqual([{ defence: 'line_type', mode: 'record_only' }]);
    });

    it("keeps tenants apart: one tenant's allowed fixed lines do not open another's", async () => {
      const open = await tenant((p) => ({ ...p, lineTypes: { ...p.lineTypes, allowFixedLine: true } }));
      expect((await open.send(N.nzFixed)).status).toBe(200);
      expect((await (await tenant()).send(N.nzFixed)).status).toBe(429);
    });
  });

  describe('prefix_limit', () => {
    const limit = (l: Partial<PrefixLimit>): PrefixLimit => ({
      enabled: true,
      blockSize: 'country',
      rateLimit: 1,
      windowInMinutes: 10,
      countryCodes: [],
      ...l,
    });

    it('with blockSize "country", counts every number of the country code together, and only them', async () => {
      const c = await tenant((p) => ({ ...p, prefixRateLimitConfigurations: [limit({ rateLimit: 2 })] }));
      expect((await c.send(N.nzMobile)).status).toBe(200);
      expect((await c.send(N.nzMobile2)).status).toBe(200);
      const refused = await c.send(N.nzMobileOtherBlock);
      expect(refused.status).toBe(429);
      expect(refused.body.errorDescription).toMatch(/^Numbers starting \+64 have reached their limit of 2 codes in 10/);
      expect(Number(refused.retryAfter)).toBeGreaterThan(590);
      expect((await c.send(N.auMobile)).status).toBe(200);
    });

    it('with a digit blockSize, counts the numbers sharing their first digits', async () => {
      const c = await tenant((p) => ({ ...p, prefixRateLimitConfigurations: [limit({ blockSize: 5 })] }));
      expect((await c.send(N.nzMobile)).status).toBe(200); // block 64211
      expect((await c.send(N.nzMobile2)).status).toBe(429);
      expect((await c.send(N.nzMobileOtherBlock)).status).toBe(200); // block 64221
    });

    it('with countryCodes, counts only numbers of those countries', async () => {
      const c = await tenant((p) => ({
        ...p,
        prefixRateLimitConfigurations: [limit({ blockSize: 4, countryCodes: ['AU'] })],
      }));
      for (const n of [N.nzMobile, N.nzMobile2, N.nzMobileOtherBlock]) expect((await c.send(n)).status).toBe(200);
      expect((await c.send(N.auMobile)).status).toBe(200);
      const refused = await c.send(N.auMobileSameBlock);
      expect(refused.body.errorDescription).toMatch(/^Numbers starting \+6141 have reached their limit of 1 codes/);
    });

    it('counts nothing for a disabled limit, and each limit apart', async () => {
      const c = await tenant((p) => ({
        ...p,
        prefixRateLimitConfigurations: [
          limit({ enabled: false }),
          limit({ blockSize: 5 }),
          limit({ blockSize: 'country', rateLimit: 3 }),
        ],
      }));
      expect((await c.send(N.nzMobile)).status).toBe(200); // 64211: 1, 64: 1
      expect((await c.send(N.nzMobileOtherBlock)).status).toBe(200); // 64221: 1, 64: 2; the disabled one counted none
      const block = await c.send(N.nzMobile2); // 64211: 2, 64: 3
      expect(block.body.errorDescription).toMatch(
        /^Numbers starting \+64211 have reached their limit of 1 codes in 10/,
      );
      const country = await c.send('+64271234567'); // 64271: 1, 64: 4
      expect(country.body.errorDescription).toMatch(/^Numbers starting \+64 have reached their limit of 3 codes in 10/);
      expect(await c.sentTo()).toEqual(expect.arrayContaining([N.nzMobile, N.nzMobileOtherBlock]));
      expect(await c.sentTo()).toHaveLength(2);
    });
  });
});

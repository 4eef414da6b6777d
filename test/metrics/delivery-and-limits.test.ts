import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAGIC } from '../fakes/common.js';
import { startTwilioFake } from '../fakes/twilio.js';
import { databases } from '../helpers/databases.js';
import { management } from '../helpers/management.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

type Twilio = Awaited<ReturnType<typeof startTwilioFake>>;

/** Every sample line of one metric as `labels -> value`; a series that is absent has no entry. */
function series(text: string, name: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (m && m[1] === name) found.set(m[2] as string, Number(m[3]));
  }
  return found;
}

/** Every label set of every sample, joined: where a number, code or user ID must never appear. */
function allLabels(text: string): string {
  return [...text.matchAll(/^[a-z_]+\{([^}]*)\}/gm)].map((m) => m[1]).join('\n');
}

const codeIn = (text: string) => /\b(\d{6})\b/.exec(text)?.[1] as string;

async function scrape(t: TestServer): Promise<string> {
  const res = await fetch(`${t.server.url}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

/** Points the tenant at the Twilio fake; its receipt URL. */
async function configureTwilio(t: TestServer, twilio: Twilio): Promise<string> {
  const api = management(t.apiUrl, t.tenant.managementSecretKey, '');
  const res = await api.request<{ providers: { receiptUrl?: string }[] }>('PUT', '/sms-providers', {
    providers: [twilio.config()],
  });
  expect(res.status).toBe(200);
  return res.body.providers[0]?.receiptUrl ?? '';
}

function expectNoSecrets(text: string, secrets: string[]): void {
  const labels = allLabels(text);
  expect(labels.length).toBeGreaterThan(0); // else the check below would pass on an empty scrape
  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThan(3);
    expect(labels).not.toContain(secret);
  }
}

describe.each(databases)('/metrics for receipts, limits and breakers on $name', (db) => {
  let twilio: Twilio;
  beforeAll(async () => {
    twilio = await startTwilioFake();
  });
  afterAll(async () => {
    await twilio?.close();
  });

  it('counts each stored receipt by status, and a replayed one once', async () => {
    const t = await startTestServer(db);
    try {
      const receiptUrl = await configureTwilio(t, twilio);
      expect(receiptUrl).toMatch(/^http/);
      const to = [phone(), phone()];
      for (const [i, n] of to.entries()) {
        await t.sdk.challenge({
          verificationMethod: 'SMS',
          action: 'signIn',
          userId: `u-receipt-${i}`,
          phoneNumber: n,
        });
      }
      const [ok, bad] = to.map((n) => twilio.messages.filter((m) => m.to === n).at(-1));
      expect(ok?.id).toBeTruthy();
      expect(bad?.id).toBeTruthy();
      const receipts = 'sigil_sms_delivery_receipts_total';
      expect(series(await scrape(t), receipts).size).toBe(0);

      expect(await twilio.postReceipt(receiptUrl, ok?.id ?? '', 'delivered')).toBe(200);
      expect(await twilio.postReceipt(receiptUrl, bad?.id ?? '', 'failed')).toBe(200);
      // The vendor's retry of the same callback is acknowledged but is no new receipt.
      expect(await twilio.postReceipt(receiptUrl, ok?.id ?? '', 'delivered')).toBe(200);

      const text = await scrape(t);
      expect(Object.fromEntries(series(text, receipts))).toEqual({ 'status="delivered"': 1, 'status="failed"': 1 });
      const secrets = [...to, ...to.map((n) => n.slice(1)), 'u-receipt-0', 'u-receipt-1'];
      for (const m of [ok, bad]) secrets.push(m?.id ?? '', codeIn(m?.text ?? ''));
      expectNoSecrets(text, secrets);
    } finally {
      await t.close();
    }
  });

  it('counts max_attempts for every submission after the attempts are spent', async () => {
    const t = await startTestServer(db);
    try {
      const to = phone();
      const { challengeId = '' } = await t.sdk.challenge({
        verificationMethod: 'SMS',
        action: 'signIn',
        userId: 'u-attempts',
        phoneNumber: to,
      });
      const code = await t.lastCode(to);
      const wrong = code === '000000' ? '111111' : '000000';
      const verify = (verificationCode: string) =>
        t.sdk.verify({ challengeId, verificationCode }).catch((err: unknown) => err);
      // SIGIL_OTP_MAX_ATTEMPTS defaults to 5: five wrong codes spend them (each a wrong_code).
      for (let i = 0; i < 5; i++) expect(await verify(wrong)).toMatchObject({ isVerified: false });
      const otp = 'sigil_otp_verifications_total';
      const before = series(await scrape(t), otp);
      expect(before.get('result="wrong_code"')).toBe(5);
      expect(before.has('result="max_attempts"')).toBe(false);

      // The sixth submission passes the budget: refused even with the right code, and so is the seventh.
      expect(await verify(code)).toMatchObject({ isVerified: false, failureReason: 'MAX_ATTEMPTS_EXCEEDED' });
      expect(await verify(wrong)).toMatchObject({ isVerified: false, failureReason: 'MAX_ATTEMPTS_EXCEEDED' });
      const text = await scrape(t);
      expect(Object.fromEntries(series(text, otp))).toEqual({ 'result="wrong_code"': 5, 'result="max_attempts"': 2 });
      expectNoSecrets(text, [to, to.slice(1), code, 'u-attempts', challengeId]);
    } finally {
      await t.close();
    }
  });

  it('counts each send that the per-number window refuses, under its limit', async () => {
    const t = await startTestServer(db);
    try {
      const to = phone();
      const send = () =>
        t.sdk
          .challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to })
          .then(() => 'sent')
          .catch((err: { statusCode?: number }) => err.statusCode);
      // The default window: 5 sends per 10 minutes to one number; the 6th and 7th are refused.
      const outcomes: unknown[] = [];
      for (let i = 0; i < 7; i++) outcomes.push(await send());
      expect(outcomes).toEqual(['sent', 'sent', 'sent', 'sent', 'sent', 429, 429]);
      const text = await scrape(t);
      expect(Object.fromEntries(series(text, 'sigil_sms_limit_refusals_total'))).toEqual({
        'limit="sending_limit"': 2,
      });
      const attempts = [...series(text, 'sigil_sms_send_attempts_total').values()];
      expect(attempts.reduce((a, b) => a + b, 0)).toBe(5); // a refused send reaches no provider
      expectNoSecrets(text, [to, to.slice(1)]);
    } finally {
      await t.close();
    }
  });

  it('reads 0 for a closed breaker and 2 once repeated 5xx open it', async () => {
    // Three failed messages open the breaker; one request per message keeps the test fast.
    const t = await startTestServer(db, { SIGIL_SMS_BREAKER_FAILURES: '3', SIGIL_SMS_ATTEMPTS_PER_PROVIDER: '1' });
    try {
      await configureTwilio(t, twilio);
      const gauge = 'sigil_sms_circuit_breaker_state';
      expect(series(await scrape(t), gauge).size).toBe(0); // no breaker before the first send
      const good = phone();
      await t.sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: good });
      expect(Object.fromEntries(series(await scrape(t), gauge))).toEqual({ 'provider="twilio"': 0 });

      const fail = () =>
        t.sdk
          .challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: MAGIC.serverError })
          .then(() => 'sent')
          .catch((err: { statusCode?: number }) => err.statusCode);
      expect(await fail()).toBe(502);
      expect(await fail()).toBe(502);
      // Two consecutive failures, one short of the threshold: still closed.
      expect(Object.fromEntries(series(await scrape(t), gauge))).toEqual({ 'provider="twilio"': 0 });
      expect(await fail()).toBe(502);
      expect(Object.fromEntries(series(await scrape(t), gauge))).toEqual({ 'provider="twilio"': 2 });

      // While open, the provider is skipped without a request.
      const requests = twilio.requests.length;
      expect(await fail()).toBe(502);
      expect(twilio.requests.length).toBe(requests);
      const text = await scrape(t);
      const attempts = series(text, 'sigil_sms_send_attempts_total');
      const tenant = t.tenant.tenantId;
      expect(attempts.get(`tenant="${tenant}",provider="twilio",outcome="retryable"`)).toBe(3);
      expect(attempts.get(`tenant="${tenant}",provider="twilio",outcome="skipped"`)).toBe(1);
      expectNoSecrets(text, [good, good.slice(1), MAGIC.serverError, MAGIC.serverError.slice(1)]);
    } finally {
      await t.close();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/lib/clock.js';
import { databases } from '../helpers/databases.js';
import { phone, startTestServer } from '../helpers/server.js';

/** The value of one sample line, `name{labels} value`, or 0 when the series is absent. */
function sample(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe.each(databases)('/metrics on $name', (db) => {
  it('needs the bearer token when one is set, and apps do not mix', async () => {
    const a = await startTestServer(db, { SIGIL_METRICS_TOKEN: 'secret-token' });
    const b = await startTestServer(db);
    try {
      expect((await fetch(`${a.server.url}/metrics`)).status).toBe(401);
      const bad = await fetch(`${a.server.url}/metrics`, { headers: { authorization: 'Bearer nope' } });
      expect(bad.status).toBe(401);
      expect(await bad.json()).toMatchObject({ error: 'unauthorized' });
      await a.sdk.track({ userId: 'u-metrics-1', action: 'signIn' });
      const scraped = await fetch(`${a.server.url}/metrics`, { headers: { authorization: 'Bearer secret-token' } });
      expect(scraped.status).toBe(200);
      const text = await scraped.text();
      expect(text).toMatch(/sigil_track_outcomes_total\{action="signIn",outcome="[A-Z_]+"\} 1/);
      expect(text).not.toContain('u-metrics-1');
      const other = await (await fetch(`${b.server.url}/metrics`)).text();
      expect(other).not.toMatch(/sigil_track_outcomes_total\{/);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('counts sends and each verification result of a known sequence of sign-ins', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 12));
    const t = await startTestServer(db, {}, { clock });
    try {
      const challenge = async (to: string) =>
        (await t.sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', userId: `u-${to}`, phoneNumber: to }))
          .challengeId ?? '';
      // One number: a wrong code, then the right one.
      const first = phone();
      const a = await challenge(first);
      expect(
        (await t.sdk.verify({ challengeId: a, verificationCode: '000000' }).catch(() => null))?.isVerified,
      ).not.toBe(true);
      expect((await t.sdk.verify({ challengeId: a, verificationCode: await t.lastCode(first) })).isVerified).toBe(true);
      // The right code again: a code is accepted once, and a replay is no wrong code.
      await t.sdk.verify({ challengeId: a, verificationCode: await t.lastCode(first) }).catch(() => null);
      // Another: the code expires before it is entered.
      const second = phone();
      const b = await challenge(second);
      clock.advance(60 * 60 * 1000);
      await t.sdk.verify({ challengeId: b, verificationCode: await t.lastCode(second) }).catch(() => null);

      const text = await (await fetch(`${t.server.url}/metrics`)).text();
      const otp = 'sigil_otp_verifications_total';
      expect(sample(text, otp, 'result="wrong_code"')).toBe(1);
      expect(sample(text, otp, 'result="verified"')).toBe(1);
      expect(sample(text, otp, 'result="expired"')).toBe(1);
      expect(sample(text, otp, 'result="already_verified"')).toBe(1);
      const sends = text.split('\n').filter((l) => l.startsWith('sigil_sms_send_attempts_total{'));
      expect(sends.reduce((n, l) => n + Number(l.split(' ').at(-1)), 0)).toBe(2);
      // Route patterns, never the raw URL; no number or user ID in any label.
      expect(text).toMatch(/sigil_http_request_duration_seconds_count\{[^}]*route="\/v1\/verify"[^}]*\} 4/);
      for (const secret of [first, second, first.slice(1), `u-${first}`]) expect(text).not.toContain(secret);
    } finally {
      await t.close();
    }
  });

  it('is not served with SIGIL_METRICS=off', async () => {
    const t = await startTestServer(db, { SIGIL_METRICS: 'off' });
    try {
      expect((await fetch(`${t.server.url}/metrics`)).status).toBe(404);
    } finally {
      await t.close();
    }
  });
});

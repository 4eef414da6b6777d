import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { providerDefinitions } from '../sms/providers/index.js';
import { MASK, maskSecrets } from './mask.js';

const hex = (n: number) => randomBytes(n).toString('hex');

/** One configuration of each provider type, holding secrets of this run; `secrets` lists them. */
const SAMPLES: Record<string, { raw: Record<string, unknown>; secrets: string[] }> = (() => {
  const twilio = `tw${hex(15)}`;
  const bird = `bird-${hex(16)}`;
  const birdSigning = `sign-${hex(16)}`;
  const mmKey = `mmkey${hex(12)}`;
  const mmSecret = `mm-${hex(16)}`;
  const modica = `modica-${hex(12)}`;
  const tnz = `tnz.${hex(16)}`;
  const hookUser = `hookuser${hex(6)}`;
  const hookPassword = `hookpw${hex(8)}`;
  const hookToken = `hooktoken${hex(8)}`;
  return {
    twilio: {
      raw: { type: 'twilio', accountSid: `AC${hex(16)}`, authToken: twilio, messagingServiceSid: `MG${hex(16)}` },
      secrets: [twilio],
    },
    bird: {
      raw: {
        type: 'bird',
        accessKey: bird,
        signingKey: birdSigning,
        workspaceId: randomUUID(),
        channelId: randomUUID(),
      },
      secrets: [bird, birdSigning],
    },
    messagemedia: {
      raw: { type: 'messagemedia', apiKey: mmKey, apiSecret: mmSecret, sourceNumber: 'Sigil' },
      secrets: [mmKey, mmSecret],
    },
    modica: { raw: { type: 'modica', applicationName: 'sigil-app', password: modica }, secrets: [modica] },
    tnz: { raw: { type: 'tnz', apiKey: tnz }, secrets: [tnz] },
    webhook: {
      raw: { type: 'webhook', url: `https://${hookUser}:${hookPassword}@hooks.example.com/sms?token=${hookToken}` },
      secrets: [hookPassword, hookToken, hookUser],
    },
    dev: { raw: { type: 'dev' }, secrets: [] },
  };
})();

const rules = { production: false, allowLoopback: false };
const leaks = (value: unknown, secrets: string[]) => {
  const text = JSON.stringify(maskSecrets(value));
  return secrets.filter((s) => text.includes(s));
};

describe('maskSecrets', () => {
  it('has a sample of every provider type, so a new vendor cannot skip this test', () => {
    expect(Object.keys(SAMPLES).sort()).toEqual(Object.keys(providerDefinitions).sort());
  });

  it.each(Object.keys(SAMPLES))('masks every secret of a %s configuration: raw, parsed and shown', (type) => {
    const sample = SAMPLES[type] as (typeof SAMPLES)[string];
    const definition = providerDefinitions[type];
    if (!definition) throw new Error(type);
    const parsed = definition.parse(sample.raw, rules);
    for (const value of [sample.raw, parsed, definition.mask(parsed), { providers: [sample.raw, parsed] }]) {
      expect(leaks(value, sample.secrets), JSON.stringify(value)).toEqual([]);
    }
  });

  it("masks Authsignal's credential blocks whole, and leaves other members readable", () => {
    const body = {
      smsProvider: 'TWILIO',
      twilioCredentials: { accountSid: 'AC1', authToken: 'tok', messagingServiceSid: 'MG1' },
      modicaGroupCredentials: { username: 'app', password: 'pw' },
      isActive: true,
    };
    expect(maskSecrets(body)).toEqual({
      smsProvider: 'TWILIO',
      twilioCredentials: { accountSid: MASK, authToken: MASK, messagingServiceSid: MASK },
      modicaGroupCredentials: { username: MASK, password: MASK },
      isActive: true,
    });
  });

  it("masks the portal's and the key routes' secrets by name, at any depth, and keeps null", () => {
    const value = {
      created: { keyId: 'k1', secret: 'sk_live', hint: 'sk_…a1b2' },
      tenant: { apiSecretKey: 'a', managementSecretKey: 'b' },
      invite: { email: 'a@example.com', link: 'https://x.example/portal/invite#t' },
      totp: { secret: 'JBSWY3DP', otpauthUri: 'otpauth://totp/x', qrCodeSvg: '<svg/>', recoveryCodes: ['a', 'b'] },
      reauth: { password: 'pw', code: '123456' },
      headers: { authorization: 'Basic x', cookie: 'sigil_portal=x', 'x-csrf-token': 't' },
      cleared: { authToken: null },
    };
    expect(maskSecrets(value)).toEqual({
      created: { keyId: 'k1', secret: MASK, hint: 'sk_…a1b2' },
      tenant: { apiSecretKey: MASK, managementSecretKey: MASK },
      invite: { email: 'a@example.com', link: MASK },
      totp: { secret: MASK, otpauthUri: MASK, qrCodeSvg: MASK, recoveryCodes: [MASK, MASK] },
      reauth: { password: MASK, code: MASK },
      headers: { authorization: MASK, cookie: MASK, 'x-csrf-token': MASK },
      cleared: { authToken: null },
    });
  });

  it('shows phone numbers as log lines do: country code and last two digits', () => {
    expect(
      maskSecrets({ phoneNumber: '+64211234567', testNumbers: [{ phoneNumber: '+64219876543', code: '000000' }] }),
    ).toEqual({
      phoneNumber: '+64*******67',
      testNumbers: [{ phoneNumber: '+64*******43', code: MASK }],
    });
  });

  it('keeps names that only contain a secret word readable', () => {
    const value = { actionCode: 'signIn', accessTokenTtlSeconds: 900, keyId: 'k', secretFields: ['authToken'] };
    expect(maskSecrets(value)).toEqual(value);
  });

  it('masks Sigil keys and URL credentials found in any text', () => {
    const key = `mk_${randomBytes(32).toString('base64url')}`;
    expect(maskSecrets({ note: `rotated ${key} today` })).toEqual({ note: `rotated ${MASK} today` });
    expect(maskSecrets({ verificationWebhookUrl: 'https://u:p@hooks.example.com/v?sig=abc&x=1' })).toEqual({
      verificationWebhookUrl: `https://${MASK}@hooks.example.com/v?sig=${MASK}&x=${MASK}`,
    });
    expect(maskSecrets({ url: 'https://hooks.example.com/v' })).toEqual({ url: 'https://hooks.example.com/v' });
  });
});

import { VerificationMethod } from '@authsignal/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppOrigin, inPage, openSdkPage, type SdkPage, startAppOrigin } from './helpers/browser.js';
import { sqlite } from './helpers/databases.js';
import { management } from './helpers/management.js';
import { phone, startTestServer, type TestServer } from './helpers/server.js';

/**
 * The pre-built UI at the `url` that track returns, driven in Chromium: in the browser SDK's popup
 * (`launch(url, {mode: 'popup'})`, an iframe on another origin) and by redirect.
 */
describe('pre-built UI', () => {
  let t: TestServer;
  let app: AppOrigin;
  let browser: SdkPage;
  beforeAll(async () => {
    t = await startTestServer(sqlite);
    app = await startAppOrigin();
    browser = await openSdkPage(app.origin);
    await management(t.apiUrl, t.tenant.managementSecretKey).createConfig('withdraw', 'CHALLENGE');
  });
  afterAll(async () => {
    await browser.close();
    await app.close();
    await t.close();
  });

  it('completes a challenge in the SDK popup and hands the new token to the app', async () => {
    const to = phone();
    await t.sdk.enrollVerifiedAuthenticator({
      userId: 'popup-user',
      attributes: { verificationMethod: VerificationMethod.SMS, phoneNumber: to },
    });
    const tracked = await t.sdk.track({ userId: 'popup-user', action: 'withdraw' });
    expect(tracked.url).toContain('?');
    const { page } = browser;
    await inPage(
      page,
      ({ tenantId, url }) => {
        const sdk = new window.AuthsignalBrowser.Authsignal({ tenantId }) as unknown as {
          launch(url: string, options: { mode: 'popup' }): Promise<{ token?: string }>;
        };
        (window as unknown as { launched: Promise<{ token?: string }> }).launched = sdk.launch(url, { mode: 'popup' });
      },
      { tenantId: t.tenant.tenantId, url: tracked.url },
    );
    const frame = page.frameLocator('#__authsignal-popup-iframe');
    await frame.locator('#code').waitFor({ state: 'visible' });
    await expect(frame.locator('#sent-to').textContent()).resolves.not.toContain(to); // masked, not the full number
    await frame.locator('#code').fill('000000' === (await t.lastCode(to)) ? '111111' : '000000');
    await frame.locator('#verify button[type=submit]').click();
    await expect.poll(() => frame.locator('#error').textContent()).toMatch(/not right/);
    await frame.locator('#code').fill(await t.lastCode(to));
    await frame.locator('#verify button[type=submit]').click();
    const result = await page.evaluate(() => (window as unknown as { launched: Promise<{ token?: string }> }).launched);
    expect(result.token).toMatch(/^ey/);
    const validated = await t.sdk.validateChallenge({ action: 'withdraw', token: result.token ?? '' });
    expect(validated).toMatchObject({ isValid: true, state: 'CHALLENGE_SUCCEEDED', userId: 'popup-user' });
  });

  it('enrolls a number and redirects to the redirectUrl given to track, with the token', async () => {
    const to = phone();
    const tracked = await t.sdk.track({
      userId: 'redirect-user',
      action: 'withdraw',
      attributes: { redirectUrl: `${app.origin}/done?from=sigil` },
    });
    const { page } = browser;
    await page.goto(tracked.url);
    await page.locator('#phone').fill(to);
    await page.locator('#enroll button[type=submit]').click();
    await page.locator('#code').waitFor({ state: 'visible' });
    await page.locator('#code').fill(await t.lastCode(to));
    await page.locator('#verify button[type=submit]').click();
    await page.waitForURL(/\/done\?/);
    const landed = new URL(page.url());
    expect(landed.origin).toBe(app.origin);
    expect(landed.searchParams.get('from')).toBe('sigil');
    const token = landed.searchParams.get('token') ?? '';
    expect((await t.sdk.validateChallenge({ action: 'withdraw', token })).isValid).toBe(true);
    expect(await t.sdk.getAuthenticators({ userId: 'redirect-user' })).toHaveLength(1);
  });

  it('ignores a redirectUrl added to the link: the destination comes from the server', async () => {
    const tracked = await t.sdk.track({ userId: 'redirect-user', action: 'withdraw' });
    const { page } = browser;
    await page.goto(`${tracked.url}&redirectUrl=${encodeURIComponent('http://127.0.0.1:9/steal')}`);
    await page.locator('#code').waitFor({ state: 'visible' });
    const numbers = await t.sdk.getAuthenticators({ userId: 'redirect-user' });
    await page.locator('#code').fill(await t.lastCode(numbers[0]?.phoneNumber ?? ''));
    await page.locator('#verify button[type=submit]').click();
    await page.locator('#done').waitFor({ state: 'visible' });
    expect(page.url()).toContain('/hosted/challenge');
  });

  it('serves the page with a strict content security policy and no referrer', async () => {
    const res = await fetch(`${t.server.url}/hosted/challenge?token=x`);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
  });
});

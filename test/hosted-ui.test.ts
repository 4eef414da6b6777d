import { VerificationMethod } from '@authsignal/node';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AppOrigin, formatLog, inPage, openSdkPage, type SdkPage, startAppOrigin } from './helpers/browser.js';
import { databases } from './helpers/databases.js';
import { management } from './helpers/management.js';
import { phone, startTestServer, type TestServer } from './helpers/server.js';

/**
 * The pre-built UI at the `url` that track returns, driven in Chromium: in the browser SDK's popup
 * (`launch(url, {mode: 'popup'})`, an iframe on another origin), its window mode (`window.open`) and
 * by redirect; with and without a Referer from the app page.
 */

type Launched = { token?: string };
type Mode = 'popup' | 'window';

let app: AppOrigin;
let browser: SdkPage;
beforeAll(async () => {
  app = await startAppOrigin();
  browser = await openSdkPage(app.origin);
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

/** Puts the app page at `path` (`/`, or `/no-referrer` for a page that sends no Referer). */
async function openApp(path: '/' | '/no-referrer'): Promise<Page> {
  const { page } = browser;
  await page.goto(`${app.origin}${path}`);
  await page.waitForFunction(() => typeof window.AuthsignalBrowser?.Authsignal === 'function');
  return page;
}

/** Calls the SDK's `launch(url, {mode})` in the app page; the result is kept in `window.launched`. */
async function launch(page: Page, tenantId: string, url: string, mode: Mode): Promise<void> {
  await inPage(
    page,
    ({ tenantId, url, mode }) => {
      const sdk = new window.AuthsignalBrowser.Authsignal({ tenantId }) as unknown as {
        launch(url: string, options: { mode: Mode }): Promise<Launched>;
      };
      (window as unknown as { launched: Promise<Launched> }).launched = sdk.launch(url, { mode });
    },
    { tenantId, url, mode },
  );
}

const launched = (page: Page) => page.evaluate(() => (window as unknown as { launched: Promise<Launched> }).launched);

/** Launches the SDK's window mode and returns the window it opened. */
async function launchWindow(page: Page, tenantId: string, url: string): Promise<Page> {
  const opened = page.context().waitForEvent('page');
  await launch(page, tenantId, url, 'window');
  const win = await opened;
  win.on('pageerror', (err) => browser.log.push(`window pageerror: ${err.message}`));
  return win;
}

describe.each(databases)('pre-built UI ($name)', (db) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(db);
    await management(t.apiUrl, t.tenant.managementSecretKey).createConfig('withdraw', 'CHALLENGE');
  });
  afterAll(() => t?.close());
  beforeEach(({ onTestFailed }) => {
    browser.log.length = 0;
    onTestFailed(() => console.error(formatLog(browser)));
  });

  async function enrolled(server: TestServer, userId: string) {
    const to = phone();
    await server.sdk.enrollVerifiedAuthenticator({
      userId,
      attributes: { verificationMethod: VerificationMethod.SMS, phoneNumber: to },
    });
    return to;
  }

  it('completes a challenge in the SDK popup and hands the new token to the app', async () => {
    const to = await enrolled(t, 'popup-user');
    const tracked = await t.sdk.track({ userId: 'popup-user', action: 'withdraw' });
    expect(tracked.url).toContain('?');
    const page = await openApp('/');
    await launch(page, t.tenant.tenantId, tracked.url, 'popup');
    const frame = page.frameLocator('#__authsignal-popup-iframe');
    await frame.locator('#code').waitFor({ state: 'visible' });
    await expect(frame.locator('#sent-to').textContent()).resolves.not.toContain(to); // masked, not the full number
    await frame.locator('#code').fill('000000' === (await t.lastCode(to)) ? '111111' : '000000');
    await frame.locator('#verify button[type=submit]').click();
    await expect.poll(() => frame.locator('#error').textContent()).toMatch(/not right/);
    await frame.locator('#code').fill(await t.lastCode(to));
    await frame.locator('#verify button[type=submit]').click();
    const result = await launched(page);
    expect(result.token).toMatch(/^ey/);
    const validated = await t.sdk.validateChallenge({ action: 'withdraw', token: result.token ?? '' });
    expect(validated).toMatchObject({ isValid: true, state: 'CHALLENGE_SUCCEEDED', userId: 'popup-user' });
  });

  it('finishes the SDK popup when the app page sends no Referer, and track stored no redirectUrl', async () => {
    const to = await enrolled(t, 'popup-no-referrer');
    const tracked = await t.sdk.track({ userId: 'popup-no-referrer', action: 'withdraw' });
    const page = await openApp('/no-referrer');
    await launch(page, t.tenant.tenantId, tracked.url, 'popup');
    const frame = page.frameLocator('#__authsignal-popup-iframe');
    await frame.locator('#code').waitFor({ state: 'visible' });
    // The page knows its parent from location.ancestorOrigins, which Chromium sets regardless.
    const hosted = page.frames().find((f) => f.url().startsWith(`${t.server.url}/hosted/`));
    expect(await hosted?.evaluate(() => [document.referrer, [...location.ancestorOrigins]])).toEqual([
      '',
      [app.origin],
    ]);
    await frame.locator('#code').fill(await t.lastCode(to));
    await frame.locator('#verify button[type=submit]').click();
    const result = await launched(page);
    expect(result.token).toMatch(/^ey/);
    expect((await t.sdk.validateChallenge({ action: 'withdraw', token: result.token ?? '' })).isValid).toBe(true);
  });

  it('finishes window mode without a Referer when SIGIL_CLIENT_ORIGINS lists the app origin', async () => {
    // Another origin first, and the app's with a trailing slash, as people write them.
    const listed = await startTestServer(db, { SIGIL_CLIENT_ORIGINS: `https://shop.example,${app.origin}/` });
    try {
      await management(listed.apiUrl, listed.tenant.managementSecretKey).createConfig('withdraw', 'CHALLENGE');
      const to = await enrolled(listed, 'window-user');
      const tracked = await listed.sdk.track({ userId: 'window-user', action: 'withdraw' });
      const page = await openApp('/no-referrer');
      const win = await launchWindow(page, listed.tenant.tenantId, tracked.url);
      await win.locator('#code').waitFor({ state: 'visible' });
      expect(await win.evaluate(() => [document.referrer, window.opener !== null])).toEqual(['', true]);
      await win.locator('#code').fill(await listed.lastCode(to));
      await win.locator('#verify button[type=submit]').click();
      const result = await launched(page);
      expect(result.token).toMatch(/^ey/);
      await expect.poll(() => win.isClosed()).toBe(true); // the SDK closes its window on AUTHSIGNAL_CLOSE_POPUP
      const validated = await listed.sdk.validateChallenge({ action: 'withdraw', token: result.token ?? '' });
      expect(validated).toMatchObject({ isValid: true, userId: 'window-user' });
    } finally {
      await listed.close();
    }
  });

  it('finishes window mode without a Referer at the origin of the redirectUrl stored by track', async () => {
    const to = await enrolled(t, 'window-redirect-origin');
    const tracked = await t.sdk.track({
      userId: 'window-redirect-origin',
      action: 'withdraw',
      attributes: { redirectUrl: `${app.origin}/done` },
    });
    const page = await openApp('/no-referrer');
    const win = await launchWindow(page, t.tenant.tenantId, tracked.url);
    await win.locator('#code').waitFor({ state: 'visible' });
    await win.locator('#code').fill(await t.lastCode(to));
    await win.locator('#verify button[type=submit]').click();
    const result = await launched(page);
    expect((await t.sdk.validateChallenge({ action: 'withdraw', token: result.token ?? '' })).isValid).toBe(true);
  });

  it('says what to configure, and sends no code, when a window cannot know the origin of the app', async () => {
    const to = await enrolled(t, 'window-nowhere');
    const tracked = await t.sdk.track({ userId: 'window-nowhere', action: 'withdraw' });
    const page = await openApp('/no-referrer');
    const win = await launchWindow(page, t.tenant.tenantId, tracked.url);
    try {
      await win.locator('#stopped').waitFor({ state: 'visible' });
      await expect.poll(() => win.locator('#error').textContent()).toMatch(/SIGIL_CLIENT_ORIGINS/);
      expect(await win.locator('#verify').isHidden()).toBe(true);
      await expect(t.lastCode(to)).rejects.toThrow(/No code was sent/);
    } finally {
      await win.close();
    }
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

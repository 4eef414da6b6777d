import { VerificationMethod } from '@authsignal/node';
import type { Page, Request } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import {
  type AppOrigin,
  browserSuite,
  chromiumNote,
  formatLog,
  openSdkPage,
  type SdkPage,
  startAppOrigin,
} from '../helpers/browser.js';
import { databases } from '../helpers/databases.js';
import { management } from '../helpers/management.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The pre-built UI opened as React Native's `launch(url)` opens it: the track `url` plus
 * `nativeScheme=authsignal` and no `mode`, in a browser session that waits for a navigation to
 * `authsignal://auth?token=…` (ASWebAuthenticationSession on iOS; a Custom Tab whose RedirectActivity
 * filters on scheme `authsignal` and host `auth` on Android). Chromium reports that navigation as a
 * request for the custom URL, which goes nowhere, so the page stays where it is.
 */

const isCustomScheme = (url: string) => !/^(https?|data|about|blob):/.test(url);

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

browserSuite.each(databases)(`pre-built UI launched by React Native ($name)${chromiumNote}`, (db) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(db);
    await management(t.apiUrl, t.tenant.managementSecretKey).createConfig('signIn', 'CHALLENGE');
  });
  afterAll(() => t?.close());
  const opened: Page[] = [];
  beforeEach(({ onTestFailed }) => {
    browser.log.length = 0;
    onTestFailed(() => console.error(formatLog(browser)));
  });
  afterEach(async () => {
    for (const page of opened.splice(0)) await page.close();
  });

  async function enrolledTrack(userId: string, attributes: { redirectUrl?: string } = {}) {
    const to = phone();
    await t.sdk.enrollVerifiedAuthenticator({
      userId,
      attributes: { verificationMethod: VerificationMethod.SMS, phoneNumber: to },
    });
    const tracked = await t.sdk.track({ userId, action: 'signIn', attributes });
    return { to, tracked };
  }

  /**
   * Opens `url` in a new tab, as the SDK's browser session does, and types the code that was sent to
   * `to`. A tab per flow: after a navigation to a scheme without a handler, Chromium ignores input to
   * that tab.
   */
  async function completeChallenge(url: string, to: string) {
    const page = await browser.page.context().newPage();
    const requests: string[] = [];
    page.on('request', (req) => requests.push(req.url()));
    page.on('pageerror', (err) => browser.log.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') browser.log.push(`console.error: ${msg.text()}`);
    });
    opened.push(page);
    const returned = page.waitForRequest((req: Request) => isCustomScheme(req.url()), { timeout: 10_000 });
    returned.catch(() => undefined); // awaited only by the test that expects it
    await page.goto(url);
    await page.locator('#code').waitFor({ state: 'visible' });
    await page.locator('#code').fill(await t.lastCode(to));
    await page.locator('#verify button[type=submit]').click();
    return { page, requests, returned };
  }

  it('navigates to authsignal://auth?token=… after the SMS challenge, with a token that validates', async () => {
    const { to, tracked } = await enrolledTrack('rn-user');
    const { page, returned } = await completeChallenge(`${tracked.url}&nativeScheme=authsignal`, to);
    const url = new URL((await returned).url());
    expect(url.protocol).toBe('authsignal:');
    expect(url.host).toBe('auth');
    expect([...url.searchParams.keys()]).toEqual(['token']);
    const token = url.searchParams.get('token') ?? '';
    expect(token).toMatch(/^ey/);
    expect(token).not.toBe(tracked.token);

    // The custom scheme goes nowhere here: the page stays, says so, and offers the same link to tap.
    await page.locator('#done').waitFor({ state: 'visible' });
    expect(page.url()).toContain('/hosted/challenge');
    expect(await page.locator('#return').getAttribute('href')).toBe(url.toString());

    const validated = await t.sdk.validateChallenge({ action: 'signIn', token });
    expect(validated).toMatchObject({ isValid: true, state: 'CHALLENGE_SUCCEEDED', userId: 'rn-user' });
  });

  it('ignores any other nativeScheme value: a rewritten link cannot choose where the token goes', async () => {
    for (const [i, scheme] of ['evil', 'authsignal://evil', 'AUTHSIGNAL', 'https://127.0.0.1:9/steal'].entries()) {
      const { to, tracked } = await enrolledTrack(`rn-evil-${i}`);
      const url = `${tracked.url}&nativeScheme=${encodeURIComponent(scheme)}`;
      const { page, requests } = await completeChallenge(url, to);
      await page.locator('#done').waitFor({ state: 'visible' });
      await page.waitForTimeout(200); // a navigation would have started by now
      expect(requests.filter(isCustomScheme), scheme).toEqual([]);
      expect(
        requests.filter((u) => !u.startsWith(`${t.server.url}/`)),
        scheme,
      ).toEqual([]);
      expect(page.url()).toContain('/hosted/challenge');
      expect(await page.locator('#return').isHidden()).toBe(true);
    }
  });

  it('prefers the redirectUrl stored by track to nativeScheme', async () => {
    const { to, tracked } = await enrolledTrack('rn-redirect', { redirectUrl: `${app.origin}/done` });
    const { page, requests } = await completeChallenge(`${tracked.url}&nativeScheme=authsignal`, to);
    await page.waitForURL(/\/done\?/);
    const landed = new URL(page.url());
    expect(landed.origin).toBe(app.origin);
    expect(
      (await t.sdk.validateChallenge({ action: 'signIn', token: landed.searchParams.get('token') ?? '' })).isValid,
    ).toBe(true);
    expect(requests.filter(isCustomScheme)).toEqual([]);
  });
});

import { randomUUID } from 'node:crypto';
import { VerificationMethod } from '@authsignal/node';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type AppOrigin,
  browserSuite,
  chromiumNote,
  openSdkPage,
  type SdkPage,
  startAppOrigin,
} from '../helpers/browser.js';
import { databases } from '../helpers/databases.js';
import { management } from '../helpers/management.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';
import { mobileSuite, sdks } from './mobile.js';

/**
 * react-native-authsignal 3.3.1 calls the native SDKs it pins (iOS ~> 2.13.0, Android 4.3.0) with
 * its own metadata: `X-Authsignal-SDK: react-native`, `X-Authsignal-Version: 3.3.1`,
 * `X-Authsignal-Native-SDK` and `-Native-Version`, and `AuthsignalReactNativeSDK/3.3.1` in the
 * User-Agent. Its web build is the browser SDK (see browser.test.ts).
 */
mobileSuite(sdks.reactNativeIos);
mobileSuite(sdks.reactNativeAndroid);

/**
 * `launch(url)`: on iOS an ASWebAuthenticationSession with callback scheme `authsignal`, on Android a
 * Custom Tab whose RedirectActivity filters on `authsignal://auth`. Both open the track `url` with
 * `&nativeScheme=authsignal` appended and wait for a navigation to `authsignal://auth?token=…`, whose
 * `token` they resolve. The page runs here in Chromium, which reports that navigation as a request.
 */
browserSuite.each(databases)(`React Native launch(url) of the pre-built UI ($name)${chromiumNote}`, (db) => {
  let t: TestServer;
  let app: AppOrigin;
  let browser: SdkPage;
  beforeAll(async () => {
    t = await startTestServer(db);
    app = await startAppOrigin();
    browser = await openSdkPage(app.origin);
    await management(t.apiUrl, t.tenant.managementSecretKey).createConfig('rnLaunch', 'CHALLENGE');
  });
  const contexts: BrowserContext[] = [];
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser.close();
    await app.close();
    await t.close();
  });

  async function trackEnrolled(attributes: { redirectUrl?: string } = {}) {
    const userId = `rn-${randomUUID()}`;
    const to = phone();
    await t.sdk.enrollVerifiedAuthenticator({
      userId,
      attributes: { verificationMethod: VerificationMethod.SMS, phoneNumber: to },
    });
    const tracked = await t.sdk.track({ userId, action: 'rnLaunch', attributes });
    expect(tracked.url).toContain('?');
    return { userId, to, url: tracked.url };
  }

  /**
   * Opens the page as the SDK does, in a fresh browser context (an auth session or Custom Tab is a new
   * one each time), enters the delivered code, and returns every request the page made.
   */
  async function complete(url: string, to: string): Promise<{ requests: string[]; page: Page }> {
    const context = await browser.browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (req) => requests.push(`${req.method()} ${req.url()}`));
    // The page sends the code on load; the code is entered once that request has been answered.
    const challenged = page.waitForResponse((r) => r.url().endsWith('/v1/client/challenge/sms'));
    await page.goto(url);
    expect((await challenged).status()).toBe(200);
    await page.locator('#code').waitFor({ state: 'visible' });
    await page.locator('#code').fill(await t.lastCode(to));
    await page.locator('#verify button[type=submit]').click();
    return { requests, page };
  }

  const callback = (requests: string[]) =>
    requests.map((r) => r.replace(/^GET /, '')).find((u) => u.startsWith('authsignal:'));

  it('finishes at authsignal://auth?token=… for a track without redirectUrl, and the token validates', async () => {
    const { userId, to, url } = await trackEnrolled();
    const { requests } = await complete(`${url}&nativeScheme=authsignal`, to);
    await expect.poll(() => callback(requests), { timeout: 10_000 }).toMatch(/^authsignal:\/\/auth\?token=ey/);
    const token = new URL(callback(requests) ?? '').searchParams.get('token') ?? '';
    expect(await t.sdk.validateChallenge({ token, action: 'rnLaunch', userId })).toMatchObject({
      isValid: true,
      state: 'CHALLENGE_SUCCEEDED',
      userId,
    });
  });

  it('finishes at authsignal://auth?token=… when track stored that redirectUrl (older RN examples)', async () => {
    const { userId, to, url } = await trackEnrolled({ redirectUrl: 'authsignal://auth' });
    const { requests } = await complete(`${url}&nativeScheme=authsignal`, to);
    await expect.poll(() => callback(requests), { timeout: 10_000 }).toMatch(/^authsignal:\/\/auth\?token=ey/);
    const token = new URL(callback(requests) ?? '').searchParams.get('token') ?? '';
    expect((await t.sdk.validateChallenge({ token, action: 'rnLaunch', userId })).isValid).toBe(true);
  });

  it('lets no other nativeScheme choose where the token goes', async () => {
    const { to, url } = await trackEnrolled();
    const { requests, page } = await complete(`${url}&nativeScheme=evil`, to);
    await page.locator('#done').waitFor({ state: 'visible' });
    expect(requests.filter((r) => !/^[A-Z]+ https?:/.test(r))).toEqual([]);
  });
});

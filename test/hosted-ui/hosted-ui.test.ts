import { VerificationMethod } from '@authsignal/node';
import type { Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type AppOrigin,
  browserSuite,
  chromiumNote,
  formatLog,
  inPage,
  openSdkPage,
  type SdkPage,
  startAppOrigin,
} from '../helpers/browser.js';
import { databases } from '../helpers/databases.js';
import { management } from '../helpers/management.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * The pre-built UI at the `url` that track returns, driven in Chromium: in the browser SDK's popup
 * (`launch(url, {mode: 'popup'})`, an iframe on another origin), its window mode (`window.open`) and
 * by redirect; with and without a Referer from the app page; and opened by someone else who holds a
 * leaked link, from an origin that the app does not have.
 */

type Launched = { token?: string };
type Mode = 'popup' | 'window';

let app: AppOrigin;
/** Another origin (another port), that no configuration trusts: an attacker's page with a leaked link. */
let evil: AppOrigin;
let browser: SdkPage;
beforeAll(async () => {
  app = await startAppOrigin();
  evil = await startAppOrigin();
  browser = await openSdkPage(app.origin);
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await evil?.close();
});

/**
 * Puts the app page at `path` (`/`, or `/no-referrer` for a page that sends no Referer), on the app's
 * origin or `origin`.
 */
async function openApp(path: '/' | '/no-referrer', origin = app.origin): Promise<Page> {
  const { page } = browser;
  await page.goto(`${origin}${path}`);
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

type Received = { origin: string; data: unknown };

/**
 * What someone who holds a leaked link does, in their own page: opens it with `mode=popup` in a window
 * (`window.open`, which frame-ancestors does not govern) or an iframe, with no SDK that would close it.
 * Returns the hosted page's window or frame once it shows the code input.
 */
async function openLeaked(page: Page, url: string, mode: Mode): Promise<Page | Frame> {
  const link = `${url}&mode=popup`;
  let hosted: Page | Frame | undefined;
  if (mode === 'window') {
    const opened = page.context().waitForEvent('page');
    await page.evaluate((link) => void window.open(link), link);
    hosted = await opened;
  } else {
    await page.evaluate((link) => {
      const frame = document.createElement('iframe');
      frame.src = link;
      document.body.append(frame);
    }, link);
    await page.frameLocator('iframe').locator('#code').waitFor({ state: 'visible' });
    hosted = page.frames().find((f) => f.url().startsWith(link));
  }
  if (!hosted) throw new Error('the leaked link opened nothing');
  await hosted.locator('#code').waitFor({ state: 'visible' });
  return hosted;
}

/** Keeps every message the page receives, from any origin, in `window.received`. */
async function recordMessages(page: Page): Promise<void> {
  await page.evaluate(() => {
    const received: Received[] = [];
    (window as unknown as { received: Received[] }).received = received;
    window.addEventListener('message', (event) => received.push({ origin: event.origin, data: event.data }));
  });
}

/**
 * Every message that `opener` has received from the hosted page in `hosted` (its window, or its frame
 * in the SDK popup) until now. The hosted page posts a marker to the opener or parent last; messages
 * from one window arrive in order, so whatever the hosted page posted before has arrived by then.
 */
async function receivedBy(opener: Page, hosted: Page | Frame): Promise<Received[]> {
  await hosted.evaluate(() => (window.opener || window.parent).postMessage('test-marker', '*'));
  await opener.waitForFunction(() =>
    (window as unknown as { received: Received[] }).received.some((m) => m.data === 'test-marker'),
  );
  const received = await opener.evaluate(() => (window as unknown as { received: Received[] }).received);
  return received.filter((m) => m.data !== 'test-marker');
}

/** Whether any of `messages` is the token's message or holds a JWT. */
const leaksToken = (messages: Received[]) =>
  messages.some((m) => /AUTHSIGNAL_CLOSE_POPUP|ey[\w-]+\.ey[\w-]+\./.test(JSON.stringify(m.data)));

browserSuite.each(databases)(`pre-built UI ($name)${chromiumNote}`, (db) => {
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

  it('hands the token to no opener outside the redirectUrl origin stored by track, in a window or popup', async () => {
    // No SIGIL_CLIENT_ORIGINS: the redirectUrl's origin is the one the app is known to have.
    for (const mode of ['window', 'popup'] as const) {
      const userId = `leaked-${mode}`;
      const to = await enrolled(t, userId);
      const tracked = await t.sdk.track({
        userId,
        action: 'withdraw',
        attributes: { redirectUrl: `${app.origin}/done` },
      });
      // Someone with the leaked link opens it from their own page, which sends a Referer.
      const page = await openApp('/', evil.origin);
      await recordMessages(page);
      const hosted = await openLeaked(page, tracked.url, mode);
      try {
        expect(await hosted.evaluate(() => document.referrer), mode).toMatch(new RegExp(`^${evil.origin}/`));
        await hosted.locator('#code').fill(await t.lastCode(to));
        await hosted.locator('#verify button[type=submit]').click();
        await hosted.locator('#done').waitFor({ state: 'visible' });
        expect(leaksToken(await receivedBy(page, hosted)), mode).toBe(false);
      } finally {
        if (mode === 'window') await (hosted as Page).close();
      }
    }
  });

  /**
   * Tracks, then stores `redirectUrl` with the action as it is. Track refuses such a value today, but
   * actions stored before it did still hold whatever string they were given.
   */
  async function trackWithStoredRedirect(userId: string, redirectUrl: string) {
    const tracked = await t.sdk.track({ userId, action: 'withdraw' });
    const db = t.server.deps.db;
    const key = { tenant: t.tenant.tenantId, idempotencyKey: tracked.idempotencyKey };
    const row = await db
      .selectFrom('actions')
      .select('attributes')
      .where('tenant_id', '=', key.tenant)
      .where('idempotency_key', '=', key.idempotencyKey)
      .executeTakeFirstOrThrow();
    const attributes = JSON.stringify({ ...JSON.parse(row.attributes ?? '{}'), redirectUrl });
    await db
      .updateTable('actions')
      .set({ attributes })
      .where('tenant_id', '=', key.tenant)
      .where('idempotency_key', '=', key.idempotencyKey)
      .execute();
    return tracked;
  }

  it('stops, and sends no code, when the stored redirectUrl is no absolute URL or runs code', async () => {
    const stored = ['/done', 'done?x=1', 'http://[oops', 'javascript:alert(1)', 'data:text/html,x'];
    for (const [i, redirectUrl] of stored.entries()) {
      const userId = `bad-redirect-${i}`;
      const to = await enrolled(t, userId);
      const tracked = await trackWithStoredRedirect(userId, redirectUrl);
      const { page } = browser;
      // nativeScheme does not stand in for the redirect the app asked for.
      await page.goto(`${tracked.url}&nativeScheme=authsignal`);
      await page.locator('#stopped').waitFor({ state: 'visible' });
      await expect.poll(() => page.locator('#error').textContent()).toMatch(/redirectUrl .* not an absolute URL/);
      expect(await page.locator('#verify').isHidden()).toBe(true);
      await expect(t.lastCode(to), redirectUrl).rejects.toThrow(/No code was sent/);
      expect(
        browser.log.filter((l) => l.startsWith('pageerror')),
        redirectUrl,
      ).toEqual([]);
    }
  });

  it('finishes the SDK popup despite a relative redirectUrl: it is only left out of the trusted origins', async () => {
    const to = await enrolled(t, 'popup-relative-redirect');
    const tracked = await trackWithStoredRedirect('popup-relative-redirect', '/done');
    const page = await openApp('/');
    await launch(page, t.tenant.tenantId, tracked.url, 'popup');
    const frame = page.frameLocator('#__authsignal-popup-iframe');
    await frame.locator('#code').waitFor({ state: 'visible' });
    await frame.locator('#code').fill(await t.lastCode(to));
    await frame.locator('#verify button[type=submit]').click();
    const result = await launched(page);
    expect((await t.sdk.validateChallenge({ action: 'withdraw', token: result.token ?? '' })).isValid).toBe(true);
  });

  describe('with SIGIL_CLIENT_ORIGINS', () => {
    let listed: TestServer;
    beforeAll(async () => {
      // Another origin first, and the app's with a trailing slash, as people write them.
      listed = await startTestServer(db, { SIGIL_CLIENT_ORIGINS: `https://shop.example,${app.origin}/` });
      await management(listed.apiUrl, listed.tenant.managementSecretKey).createConfig('withdraw', 'CHALLENGE');
    });
    afterAll(() => listed?.close());

    it('finishes window mode without a Referer when SIGIL_CLIENT_ORIGINS lists the app origin', async () => {
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
    });

    it('finishes window mode without a Referer when the redirectUrl is on another origin than the app', async () => {
      // The trusted origins are the redirectUrl's and every listed one: the app's is among them.
      const to = await enrolled(listed, 'window-other-redirect');
      const tracked = await listed.sdk.track({
        userId: 'window-other-redirect',
        action: 'withdraw',
        attributes: { redirectUrl: 'https://accounts.example/done' },
      });
      const page = await openApp('/no-referrer');
      const win = await launchWindow(page, listed.tenant.tenantId, tracked.url);
      await win.locator('#code').waitFor({ state: 'visible' });
      await win.locator('#code').fill(await listed.lastCode(to));
      await win.locator('#verify button[type=submit]').click();
      const result = await launched(page);
      expect((await listed.sdk.validateChallenge({ action: 'withdraw', token: result.token ?? '' })).isValid).toBe(
        true,
      );
    });

    it('hands the token to a window opened by the app, never to one opened from an unlisted origin', async () => {
      // Someone with the leaked link opens it, with mode=popup, from their own page (which sends a
      // Referer). frame-ancestors does not apply to a window.
      const to = await enrolled(listed, 'window-leaked');
      const leaked = await listed.sdk.track({ userId: 'window-leaked', action: 'withdraw' });
      const evilPage = await openApp('/', evil.origin);
      await recordMessages(evilPage);
      const evilWin = (await openLeaked(evilPage, leaked.url, 'window')) as Page;
      try {
        expect(await evilWin.evaluate(() => document.referrer)).toBe(`${evil.origin}/`);
        await evilWin.locator('#code').fill(await listed.lastCode(to));
        await evilWin.locator('#verify button[type=submit]').click();
        await evilWin.locator('#done').waitFor({ state: 'visible' });
        expect(leaksToken(await receivedBy(evilPage, evilWin))).toBe(false);
      } finally {
        await evilWin.close();
      }

      // The app itself, with a Referer, gets its token.
      const tracked = await listed.sdk.track({ userId: 'window-leaked', action: 'withdraw' });
      const page = await openApp('/');
      const win = await launchWindow(page, listed.tenant.tenantId, tracked.url);
      await win.locator('#code').waitFor({ state: 'visible' });
      expect(await win.evaluate(() => document.referrer)).toBe(`${app.origin}/`);
      await win.locator('#code').fill(await listed.lastCode(to));
      await win.locator('#verify button[type=submit]').click();
      const result = await launched(page);
      const validated = await listed.sdk.validateChallenge({ action: 'withdraw', token: result.token ?? '' });
      expect(validated).toMatchObject({ isValid: true, userId: 'window-leaked' });
    });
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

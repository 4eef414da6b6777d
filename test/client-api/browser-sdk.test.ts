import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import {
  type AppOrigin,
  browserSuite,
  chromiumNote,
  deviceIdCookie,
  formatLog,
  inPage,
  openSdkPage,
  type SdkPage,
  startAppOrigin,
} from '../helpers/browser.js';
import { sqlite } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// Smoke test for the browser harness: the official @authsignal/browser bundle loads in Chromium on an
// origin of its own and behaves as docs/wire-protocol.md §5.1 says before any Client API call is made.
browserSuite(`browser SDK harness (sqlite)${chromiumNote}`, () => {
  let t: TestServer;
  let app: AppOrigin;
  let browser: SdkPage;

  beforeAll(async () => {
    t = await startTestServer(sqlite);
    app = await startAppOrigin();
    browser = await openSdkPage(app.origin);
    console.info(`Chromium launched and the SDK loaded in ${browser.launchMs} ms`);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await t?.close();
  });
  beforeEach(({ onTestFailed }) => {
    browser.log.length = 0;
    onTestFailed(() => console.error(formatLog(browser)));
  });

  it('serves the app from an origin other than the API', async () => {
    const pageOrigin = await inPage(browser.page, () => window.location.origin, undefined);
    expect(pageOrigin).toBe(app.origin);
    expect(new URL(t.apiUrl).origin).not.toBe(pageOrigin);
    expect(new URL(t.apiUrl).hostname).toBe(new URL(pageOrigin).hostname);
  });

  it('returns token_not_set from sms.challenge() without a token, and sets the __as_aid cookie', async () => {
    const before = browser.requests.length;
    const result = await inPage(
      browser.page,
      async ({ tenantId, baseUrl }) => {
        window.authsignal = new window.AuthsignalBrowser.Authsignal({ tenantId, baseUrl });
        return window.authsignal.sms.challenge();
      },
      { tenantId: t.tenant.tenantId, baseUrl: t.apiUrl },
    );
    expect(result).toEqual({
      error: 'token_not_set',
      errorCode: 'token_not_set',
      errorDescription: "A token has not been set. Call 'setToken' first.",
    });
    // The SDK answered without touching the network.
    expect(browser.requests.slice(before)).toEqual([]);

    const deviceId = await deviceIdCookie(browser.page);
    expect(deviceId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(await inPage(browser.page, () => window.authsignal.anonymousId, undefined)).toBe(deviceId);
    // The SDK logs this one itself; nothing else went wrong in the page.
    expect(browser.log).toEqual(["console.error: Error: A token has not been set. Call 'setToken' first."]);
  });
});

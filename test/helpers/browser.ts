import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type Browser, chromium, type Page } from 'playwright-core';
import { describe } from 'vitest';

/**
 * Browser tests: the official browser SDK (@authsignal/browser), bundled with esbuild, runs in
 * Debian's Chromium (driven by playwright-core, never a downloaded browser) on a page served from
 * its own origin, so every Client API call is a real cross-origin request with a CORS preflight.
 */

/*
 * The part of the browser SDK's API that the tests use, as it behaves at run time (docs/wire-protocol.md §5.1–5.4).
 * The package's own .d.ts re-exports with extensionless paths, which TypeScript cannot follow under
 * NodeNext, and its VerifyResponse names `accessToken` where the SDK actually returns `token`.
 */

/** What every SDK call resolves to (docs/wire-protocol.md §5.3): `data`, or the error fields. */
interface SdkResult<T> {
  data?: T;
  error?: string;
  errorCode?: string;
  errorDescription?: string;
}

interface BrowserSdkOptions {
  tenantId: string;
  baseUrl?: string;
  cookieDomain?: string;
  cookieName?: string;
  onTokenExpired?: () => void;
  enableLogging?: boolean;
}

interface BrowserSdk {
  /** The device ID, also stored in the `__as_aid` cookie. */
  anonymousId: string;
  setToken(token: string): void;
  sms: {
    enroll(params: { phoneNumber: string }): Promise<SdkResult<{ userAuthenticatorId: string; userId: string }>>;
    challenge(): Promise<SdkResult<{ challengeId: string }>>;
    verify(params: {
      code: string;
    }): Promise<
      SdkResult<{ isVerified: boolean; token?: string; failureReason?: string; userAuthenticator?: unknown }>
    >;
  };
}

declare global {
  interface Window {
    /** The bundle's global: `new AuthsignalBrowser.Authsignal({ tenantId, baseUrl })`. */
    AuthsignalBrowser: { Authsignal: new (options: BrowserSdkOptions) => BrowserSdk };
    /** Where tests keep the SDK instance they construct in the page. */
    authsignal: BrowserSdk;
    /** Set by the tests' onTokenExpired callback. */
    __expired?: boolean;
  }
}

export const CHROMIUM = process.env.SIGIL_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Whether Chromium is there to drive. Without it the browser tests skip, with `chromiumNote` in their
 * name, instead of failing; but under CI (`CI` set) a missing Chromium fails at once, so that CI can never
 * pass without having run them.
 */
const hasChromium = existsSync(CHROMIUM);
/** `describe` for a suite that needs Chromium: skipped when there is none. */
export const browserSuite = describe.skipIf(!hasChromium);
const inCi = Boolean(process.env.CI) && process.env.CI !== 'false' && process.env.CI !== '0';
if (!hasChromium && inCi) {
  throw new Error(`No Chromium at ${CHROMIUM}: CI must run the browser tests (install chromium or set SIGIL_CHROMIUM)`);
}
/** Appended to a browser suite's name: the one-line reason it skipped, or nothing. */
export const chromiumNote = hasChromium
  ? ''
  : ` (skipped: no Chromium at ${CHROMIUM}; install chromium or set SIGIL_CHROMIUM)`;
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  // The network is closed: no update checks, field trials, sync or component downloads.
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Only 127.0.0.1 resolves, so a stray request to any other host fails at once instead of hanging.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];

/** Each open page's log, so that inPage can add it to an error. */
const pageLogs = new WeakMap<Page, string[]>();

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

let bundle: Promise<string> | undefined;

/** The browser SDK as one IIFE script that defines `window.AuthsignalBrowser`. Built once per worker. */
function bundleBrowserSdk(): Promise<string> {
  bundle ??= build({
    stdin: { contents: "export { Authsignal } from '@authsignal/browser';", resolveDir: repoRoot, loader: 'js' },
    bundle: true,
    format: 'iife',
    globalName: 'AuthsignalBrowser',
    write: false,
    platform: 'browser',
    target: 'es2020',
    logLevel: 'silent',
  }).then(
    (result) => {
      const file = result.outputFiles[0];
      if (!file) throw new Error('esbuild produced no output for @authsignal/browser');
      return file.text;
    },
    (err: unknown) => {
      bundle = undefined;
      throw err;
    },
  );
  return bundle;
}

const PAGE = `<!doctype html>
<html>
  <head>
    <meta charset="utf-8">
    <link rel="icon" href="data:,">
    <title>Sigil browser SDK test app</title>
    <script src="/sdk.js"></script>
  </head>
  <body></body>
</html>
`;

export interface AppOrigin {
  /** For example `http://127.0.0.1:41234`: same host as the API server, other port, so another origin. */
  origin: string;
  close(): Promise<void>;
}

/**
 * A static "customer app" on 127.0.0.1: `/` is a page that loads `/sdk.js`, the bundled browser SDK.
 * `/no-referrer` is the same page served with `Referrer-Policy: no-referrer`, so that the pages it
 * frames or opens get no Referer and an empty `document.referrer`. Each call serves another origin (another
 * port), so a second call gives a page that no configuration trusts, such as an attacker's.
 */
export async function startAppOrigin(): Promise<AppOrigin> {
  const sdk = await bundleBrowserSdk();
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && (path === '/' || path === '/no-referrer')) {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        ...(path === '/no-referrer' ? { 'referrer-policy': 'no-referrer' } : {}),
      });
      res.end(PAGE);
    } else if (req.method === 'GET' && path === '/sdk.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' });
      res.end(sdk);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

export interface SdkPage {
  page: Page;
  browser: Browser;
  /**
   * What went wrong in the browser, in order: console errors and warnings, uncaught page errors,
   * failed requests (CORS rejections show up here as net::ERR_FAILED) and HTTP responses >= 400.
   * Print it when a test fails; `log.length = 0` clears it.
   */
  log: string[];
  /** Milliseconds from launching Chromium until the SDK global existed in the page. */
  launchMs: number;
  /** Every request the page made, as `METHOD url`. CORS preflights are not reported by Playwright. */
  requests: string[];
  close(): Promise<void>;
}

/** Launches Chromium, opens `appOrigin/`, and waits for the SDK bundle to load. One per test file. */
export async function openSdkPage(appOrigin: string): Promise<SdkPage> {
  const started = performance.now();
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    // No page.route()/context.route() here, ever: with request interception on, Playwright answers
    // CORS preflights itself (204 with permissive headers), so the server's CORS would go untested.
    const context = await browser.newContext();
    // Functions given to page.evaluate are sent as source text; when they were compiled with esbuild's
    // keepNames (tsx does this), that text calls esbuild's `__name` helper, which the page lacks.
    await context.addInitScript('globalThis.__name = (fn) => fn;');
    const page = await context.newPage();
    const log: string[] = [];
    pageLogs.set(page, log);
    const requests: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') log.push(`console.${msg.type()}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => log.push(`pageerror: ${err.message}`));
    page.on('request', (req) => requests.push(`${req.method()} ${req.url()}`));
    page.on('requestfailed', (req) =>
      log.push(`requestfailed: ${req.method()} ${req.url()}: ${req.failure()?.errorText ?? 'unknown error'}`),
    );
    page.on('response', (res) => {
      if (res.status() >= 400) log.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
    });
    await page.goto(`${appOrigin}/`);
    await page.waitForFunction(() => typeof window.AuthsignalBrowser?.Authsignal === 'function');
    const launchMs = Math.round(performance.now() - started);
    return { page, browser, log, launchMs, requests, close: () => browser.close() };
  } catch (err) {
    await browser.close();
    throw err;
  }
}

/**
 * `page.evaluate` with the argument typed. `fn` runs in the browser: it must not use anything from its
 * closure. When it throws (a CORS rejection surfaces as "TypeError: Failed to fetch"), the error
 * message gets the browser log, which says why.
 */
export async function inPage<A, R>(page: Page, fn: (arg: A) => R | Promise<R>, arg: A): Promise<R> {
  try {
    return await page.evaluate(fn as (arg: unknown) => R | Promise<R>, arg as unknown);
  } catch (err) {
    const log = pageLogs.get(page);
    if (err instanceof Error && log?.length) err.message += `\n${formatLog({ log })}`;
    throw err;
  }
}

/** The `__as_aid` device-ID cookie the SDK set on the app's origin, read from `document.cookie`. */
export function deviceIdCookie(page: Page): Promise<string | null> {
  return page.evaluate(() => /(?:^|;\s*)__as_aid=([^;]*)/.exec(document.cookie)?.[1] ?? null);
}

/** The browser log as one block for a failure message. */
export function formatLog(session: Pick<SdkPage, 'log'>): string {
  return session.log.length ? `Browser log:\n  ${session.log.join('\n  ')}` : 'Browser log: (empty)';
}

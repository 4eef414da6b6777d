import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRST_LOAD_BUDGET_BYTES, measureFirstLoad } from '../../scripts/portal-size.js';
import { portalUiRoutes } from '../../src/modules/portal-ui/routes.js';
import { browserSuite, chromiumNote } from '../helpers/browser.js';
import { databases } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { portalDist } from './build-portal.js';
import { launchPortalBrowser, type PortalBrowser, seriousA11yViolations } from './portal-browser.js';

const CSP_DIRECTIVES = [
  "default-src 'self'",
  "script-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
];

describe.each(databases)('the portal is served at /portal/ ($name)', (db) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(db);
  });
  afterAll(() => t?.close());

  it('serves index.html uncached, with a strict CSP whose nonce is in the page, and no inline script', async () => {
    const res = await fetch(`${t.server.url}/portal/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const csp = res.headers.get('content-security-policy') ?? '';
    for (const directive of CSP_DIRECTIVES) expect(csp).toContain(directive);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    const nonce = /style-src 'self' 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    const html = await res.text();
    expect(html).toContain(`<meta name="csp-nonce" content="${nonce}"`);
    // Every script is a file; none has a body.
    expect(html).toMatch(/<script type="module" crossorigin src="\/portal\/assets\/index-[\w-]+\.js"><\/script>/);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    // A fresh nonce each time.
    const again = await fetch(`${t.server.url}/portal/`);
    expect(again.headers.get('content-security-policy')).not.toContain(nonce);
  });

  it('redirects /portal to /portal/', async () => {
    const res = await fetch(`${t.server.url}/portal`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/portal/');
  });

  it('caches hashed assets for a year, immutable, under the same CSP', async () => {
    const html = await (await fetch(`${t.server.url}/portal/`)).text();
    const asset = /src="(\/portal\/assets\/index-[\w-]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeTruthy();
    const res = await fetch(`${t.server.url}${asset}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const missing = await fetch(`${t.server.url}/portal/assets/nothing-here.js`);
    expect(missing.status).toBe(404);
    const traversal = await fetch(`${t.server.url}/portal/assets/..%2f..%2fpackage.json`);
    expect(traversal.status).toBeGreaterThanOrEqual(400);
    expect(traversal.status).toBeLessThan(500);
  });
});

describe('the portal without a build', () => {
  it('answers /portal/ with a 503 page that says to run npm run build:portal', async () => {
    const app = Fastify({ routerOptions: { ignoreTrailingSlash: true } });
    await app.register(portalUiRoutes, { root: mkdtempSync(join(tmpdir(), 'sigil-no-portal-')) });
    const res = await app.inject({ method: 'GET', url: '/portal/' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.body).toContain('npm run build:portal');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect((await app.inject({ method: 'GET', url: '/portal/assets/index.js' })).statusCode).toBe(404);
    await app.close();
  });
});

describe('the portal build', () => {
  it(`loads at most ${FIRST_LOAD_BUDGET_BYTES / 1000} kB of gzipped JavaScript before the first page`, () => {
    const load = measureFirstLoad(portalDist);
    expect(load.files.some((f) => f.file.endsWith('.js'))).toBe(true);
    expect(load.jsGzipBytes).toBeLessThanOrEqual(FIRST_LOAD_BUDGET_BYTES);
  });
});

browserSuite(`the portal in Chromium before sign-in${chromiumNote}`, () => {
  let t: TestServer;
  let browser: PortalBrowser;
  let notBuilt: string;
  const closeNotBuilt: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    const db = databases[0];
    if (!db) throw new Error('no test database');
    t = await startTestServer(db);
    browser = await launchPortalBrowser();
    const app = Fastify({ routerOptions: { ignoreTrailingSlash: true } });
    await app.register(portalUiRoutes, { root: mkdtempSync(join(tmpdir(), 'sigil-no-portal-')) });
    notBuilt = await app.listen({ host: '127.0.0.1', port: 0 });
    closeNotBuilt.push(() => app.close());
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    for (const close of closeNotBuilt) await close();
  });

  it('renders the sign-in page under the enforced CSP with no violation and no script error', async () => {
    const p = await browser.open(`${t.server.url}/portal/`);
    await p.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await p.page.getByLabel('Email').isVisible()).toBe(true);
    // Mantine's style tags carry the nonce, so the page is styled: the button is not the browser's default.
    const nonced = await p.page.evaluate(() => [...document.querySelectorAll('style')].every((s) => s.nonce !== ''));
    expect(nonced).toBe(true);
    expect(await p.cspViolations()).toEqual([]);
    expect(p.errors).toEqual([]);
    await p.context.close();
  });

  it('reports a CSP violation when something inline is tried, so the check above can fail', async () => {
    const p = await browser.open(`${t.server.url}/portal/`);
    await p.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await p.page.evaluate(() => {
      const style = document.createElement('style');
      style.textContent = 'body { color: red }';
      document.head.append(style);
    });
    await expect.poll(() => p.cspViolations()).toHaveLength(1);
    await p.context.close();
  });

  it('has no serious or critical accessibility violation on sign-in, a spent link and the 503 page', async () => {
    const pages = [
      { url: `${t.server.url}/portal/#/sign-in`, heading: 'Sign in' },
      { url: `${t.server.url}/portal/#/link/not-a-real-token`, heading: 'This link cannot be used' },
      { url: `${notBuilt}/portal/`, heading: 'The portal is not built' },
    ];
    for (const { url, heading } of pages) {
      const p = await browser.open(url, { bypassCSP: true });
      await p.page.getByRole('heading', { name: heading }).waitFor();
      expect({ url, violations: await seriousA11yViolations(p.page) }).toEqual({ url, violations: [] });
      await p.context.close();
    }
  });

  it('moves focus with the keyboard from email to password to the button', async () => {
    const p = await browser.open(`${t.server.url}/portal/#/sign-in`);
    await p.page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await p.page.getByLabel('Email').focus();
    await p.page.keyboard.press('Tab');
    expect(await p.page.evaluate(() => document.activeElement?.getAttribute('autocomplete'))).toBe('current-password');
    await p.context.close();
  });
});

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, HTTPMethods } from 'fastify';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/browser.js';

/**
 * The portal in Debian's Chromium. Each page records what went wrong: console errors, page errors and
 * every Content-Security-Policy violation (the `securitypolicyviolation` event, caught by an init
 * script, which CSP does not govern). `bypassCSP` is only for axe, whose script Playwright injects
 * inline; the CSP checks run in a context that enforces the policy.
 */
export interface PortalBrowser {
  browser: Browser;
  open(url: string, options?: { bypassCSP?: boolean }): Promise<PortalPage>;
  close(): Promise<void>;
}

export interface PortalPage {
  page: Page;
  context: BrowserContext;
  /** Console errors and page errors, in order ("Failed to load resource" lines are HTTP statuses and kept apart). */
  errors: string[];
  /** HTTP answers >= 400 the page received, as `STATUS METHOD path`. */
  failedResponses: string[];
  /** The CSP violations the page reported. */
  cspViolations(): Promise<string[]>;
}

const axePath = fileURLToPath(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url));

export async function launchPortalBrowser(): Promise<PortalBrowser> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  return {
    browser,
    async open(url, options = {}) {
      const context = await browser.newContext({ bypassCSP: options.bypassCSP ?? false });
      await context.addInitScript(`
        globalThis.__name = (fn) => fn;
        window.__csp = [];
        document.addEventListener('securitypolicyviolation', (e) => {
          window.__csp.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' ' + (e.sample || ''));
        });
      `);
      // A step that cannot happen fails in 10 s with what it waited for, not at the test's timeout.
      context.setDefaultTimeout(10_000);
      const page = await context.newPage();
      const errors: string[] = [];
      const failedResponses: string[] = [];
      page.on('console', (msg) => {
        if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) errors.push(msg.text());
      });
      page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
      page.on('response', (res) => {
        if (res.status() >= 400)
          failedResponses.push(`${res.status()} ${res.request().method()} ${new URL(res.url()).pathname}`);
      });
      await page.goto(url);
      return {
        page,
        context,
        errors,
        failedResponses,
        cspViolations: () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp),
      };
    },
    close: () => browser.close(),
  };
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * axe-core on the page as it is now (an open editor, a simulation's result): the serious and critical
 * violations (the bar is none). axe is evaluated through the DevTools protocol, which the page's CSP
 * does not govern, rather than as a script tag, which it would refuse.
 */
export async function seriousA11yViolations(page: Page): Promise<AxeViolation[]> {
  const hasAxe = await page.evaluate(() => 'axe' in window);
  if (!hasAxe) await page.evaluate(readFileSync(axePath, 'utf8'));
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document): Promise<{ violations: unknown[] }> } }).axe;
    const result = await axe.run(document);
    return result.violations as {
      id: string;
      impact: string | null;
      help: string;
      nodes: { target: string[]; failureSummary?: string }[];
    }[];
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      // Where, and what axe measured there (a contrast ratio, a missing name), to act on at once.
      nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary?.replace(/\s+/g, ' ') ?? ''}`),
    }));
}

/**
 * Whether the server has a route, so that a journey through another part of issue 10 (the session
 * routes, team, keys, audit, the new SMS and rule routes) runs as soon as that part is merged and is
 * skipped, by name, until then.
 */
export function hasRoute(app: FastifyInstance, method: HTTPMethods, url: string): boolean {
  return app.hasRoute({ method, url });
}

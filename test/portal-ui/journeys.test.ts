import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret, TOTP } from 'otpauth';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTwilioFake } from '../fakes/twilio.js';
import { browserSuite, chromiumNote } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { databases } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  hasRoute,
  launchPortalBrowser,
  type PortalBrowser,
  type PortalPage,
  seriousA11yViolations,
} from './portal-browser.js';

/**
 * What an operator does in the portal, in real Chromium against a real server, on each database:
 * sign in with MFA, invite a member, configure the Twilio fake and send a test SMS, reorder providers,
 * edit a template and watch the segment count, build a rule, simulate it, save it, and see `track`
 * through the Node SDK obey it. The journeys run in order in one browser page, as one operator's visit.
 * Each first checks that the server has the routes it drives (`needs`), so that a missing route fails
 * by name rather than as a timeout.
 */

const SESSION_ROUTES = [
  ['POST', '/v1/portal/sign-in'],
  ['GET', '/v1/portal/me'],
  ['POST', '/v1/portal/links/redeem'],
] as const;
const TEAM_ROUTES = [
  ['POST', '/v1/management/invites'],
  ['GET', '/v1/management/members'],
] as const;
const SMS_ROUTES = [
  ['GET', '/v1/management/sms-providers/schemas'],
  ['GET', '/v1/management/sms-providers/health'],
  ['POST', '/v1/management/sms-templates/preview'],
] as const;
const RULE_ROUTES = [
  ['GET', '/v1/management/rule-variables'],
  ['POST', '/v1/management/rules/validate'],
  ['GET', '/v1/management/actions/summary'],
  ['POST', '/v1/management/action-configurations/:actionCode/simulate'],
] as const;
const KEY_ROUTES = [
  ['GET', '/v1/management/tenant'],
  ['GET', '/v1/management/api-keys'],
  ['GET', '/v1/management/signing-keys'],
] as const;
const AUDIT_ROUTES = [['GET', '/v1/management/audit-log']] as const;

/** The routes (of those given) this server lacks; a journey runs only when there are none. */
function missingRoutes(t: TestServer, routes: readonly (readonly [string, string])[]): string[] {
  return routes.filter(([method, url]) => !hasRoute(t.server.app, method as 'GET', url)).map(([m, u]) => `${m} ${u}`);
}

const PASSWORD = 'a long portal password 1';
const EMAIL = 'owner@example.com';

/** A one-time sign-in link for a new owner of the test tenant, from `sigil admin create` as an operator runs it. */
async function ownerLinkToken(t: TestServer): Promise<string> {
  const made = await runCli(
    ['admin', 'create', '--email', EMAIL, '--role', 'owner', '--tenant', t.tenant.tenantId, '--json'],
    t.cliEnv,
  );
  expect(made.code, made.stderr).toBe(0);
  const link = (JSON.parse(made.stdout.trim().split('\n').at(-1) ?? '{}') as { link?: string }).link ?? '';
  const token = /#\/link\/([^/?#]+)/.exec(link)?.[1];
  if (!token) throw new Error(`no link token in: ${made.stdout}`);
  return token;
}

const heading = (page: Page, name: string | RegExp) => page.getByRole('heading', { name, level: 1 }).waitFor();

async function expectCleanPage(p: PortalPage): Promise<void> {
  expect(await p.cspViolations()).toEqual([]);
  expect(p.errors).toEqual([]);
}

browserSuite(`portal journeys${chromiumNote}`, () => {
  describe.each(databases)('$name', (db) => {
    let t: TestServer;
    let browser: PortalBrowser;
    let p: PortalPage;
    let totp: TOTP | undefined;
    let missing: string[] = [];
    beforeAll(async () => {
      t = await startTestServer(db);
      missing = missingRoutes(t, SESSION_ROUTES);
      browser = await launchPortalBrowser();
    });
    // A failed journey leaves a picture of the page, and its failed HTTP answers, to say why.
    afterEach(async (ctx) => {
      if (ctx.task.result?.state !== 'fail' || !p) return;
      const file = join(tmpdir(), `portal-journey-${db.name}-${ctx.task.name.slice(0, 24).replace(/\W+/g, '-')}.png`);
      await p.page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
      console.error(
        `screenshot: ${file}\nfailed responses: ${p.failedResponses.join(', ')}\nerrors: ${p.errors.join(' | ')}`,
      );
    });
    afterAll(async () => {
      await browser?.close();
      await t?.close();
    });
    /** Runs `body` after checking the server has every route it needs (a missing one fails, by name). */
    const needs = (routes: readonly (readonly [string, string])[], body: () => Promise<void>) => async () => {
      expect([...missing, ...missingRoutes(t, routes)], 'routes this journey needs').toEqual([]);
      await body();
    };

    it(
      'signs in by the one-time link, enrols TOTP, signs out and back in with MFA',
      needs([], async () => {
        const token = await ownerLinkToken(t);
        p = await browser.open(`${t.server.url}/portal/#/link/${token}`);
        await heading(p.page, /Sign in with your link|Accept the invitation/);
        expect(await seriousA11yViolationsOf(p.page)).toEqual([]);
        await p.page.getByLabel('New password').fill(PASSWORD);
        await p.page.getByLabel('Repeat the password').fill(PASSWORD);
        await p.page.getByRole('button', { name: 'Continue' }).click();
        await heading(p.page, /Actions and rules|Account and security/);

        await p.page.goto(`${t.server.url}/portal/#/account`);
        await heading(p.page, 'Account and security');
        await p.page.getByRole('button', { name: 'Set up an authenticator' }).click();
        const secret = (await p.page.getByLabel('TOTP secret', { exact: true }).textContent())?.trim() ?? '';
        expect(await p.page.getByRole('img', { name: /QR code/ }).getAttribute('src')).toMatch(
          /^data:image\/svg\+xml;base64,/,
        );
        expect(await seriousA11yViolationsOf(p.page)).toEqual([]); // the enrolment, QR code shown
        totp = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 });
        await p.page.getByLabel('The 6-digit code the app shows').fill(totp.generate());
        await p.page.getByRole('button', { name: 'Confirm' }).click();
        await expect.poll(() => p.page.getByTestId('recovery-codes').locator('li').count()).toBe(10);
        expect(await seriousA11yViolationsOf(p.page)).toEqual([]); // the recovery codes, shown once
        await p.page.getByRole('button', { name: 'I have saved them' }).click();
        expect(await seriousA11yViolationsOf(p.page)).toEqual([]);

        await p.page.getByRole('button', { name: /Account menu/ }).click();
        await p.page.getByRole('menuitem', { name: 'Sign out' }).click();
        await heading(p.page, 'Sign in');
        await p.page.getByRole('status').getByText('You are signed out.').waitFor();
        await p.page.getByLabel('Email').fill(EMAIL);
        await p.page.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
        await p.page.getByRole('button', { name: 'Sign in' }).click();
        await heading(p.page, 'Two-step verification');
        expect(p.page.url()).toContain('step=mfa'); // so the audit's second page opens this step too
        expect(await seriousA11yViolationsOf(p.page)).toEqual([]);
        // The enrolment spent this 30-second step's code and a code is never accepted twice: use the
        // next step's, which the server takes as clock skew (one step either way).
        await p.page.getByLabel('Authenticator code').fill(totp.generate({ timestamp: Date.now() + 30_000 }));
        await p.page.getByRole('button', { name: 'Verify' }).click();
        await heading(p.page, 'Actions and rules');
        await expectCleanPage(p);
      }),
    );

    it(
      'invites a member and shows the link once, with a copy button',
      needs(TEAM_ROUTES, async () => {
        await p.page.goto(`${t.server.url}/portal/#/team`);
        await heading(p.page, 'Team');
        await p.page.getByRole('textbox', { name: 'Email' }).fill('dev@example.com');
        await p.page.getByRole('button', { name: 'Create invitation' }).click();
        const dialog = p.page.getByRole('dialog', { name: 'Invitation link' });
        expect(await dialog.getByLabel('invitation link', { exact: true }).textContent()).toMatch(/#\/link\//);
        expect(await dialog.getByRole('button', { name: 'Copy invitation link' }).count()).toBe(1);
        await p.page.waitForTimeout(300); // the dialog's opening transition: axe measures contrast as drawn
        expect(await seriousA11yViolationsOf(p.page)).toEqual([]);
        await dialog.getByRole('button', { name: 'Done' }).click();
        await dialog.waitFor({ state: 'detached' });
        await p.page.getByRole('cell', { name: 'dev@example.com', exact: true }).waitFor();
        expect(await seriousA11yViolationsOf(p.page)).toEqual([]);
        await expectCleanPage(p);
      }),
    );

    it(
      'configures the Twilio fake, sends a test SMS, reorders the providers by keyboard',
      needs(SMS_ROUTES, async () => {
        const twilio = await startTwilioFake();
        try {
          const config = twilio.config();
          await p.page.goto(`${t.server.url}/portal/#/sms`);
          await heading(p.page, 'SMS delivery');
          await p.page.getByRole('combobox', { name: 'Add a provider' }).click();
          await p.page.getByRole('option', { name: /Twilio/ }).click();
          await p.page.getByRole('button', { name: 'Add', exact: true }).click();
          const form = p.page.getByTestId('provider-1');
          for (const field of ['accountSid', 'authToken', 'from', 'baseUrl']) {
            await form.locator(`[id$="-${field}"]`).fill(String(config[field]));
          }
          // Twilio first, by keyboard: focus its handle, pick it up, move it up, drop it.
          // Each step waits for what a screen reader hears, as its user would.
          const announced = (text: string) =>
            expect.poll(() => p.page.locator('[id^="DndLiveRegion"]').textContent()).toBe(text);
          const handle = p.page.getByRole('button', { name: /^Move Twilio/ });
          await handle.focus();
          await p.page.keyboard.press('Space');
          await expect.poll(() => handle.getAttribute('aria-pressed')).toBe('true');
          await p.page.keyboard.press('ArrowUp');
          await announced('Twilio is over position 1 of 2.');
          await p.page.keyboard.press('Space');
          await announced('Twilio dropped at position 1 of 2.');
          await p.page.getByTestId('provider-0').getByRole('heading', { name: '1. Twilio' }).waitFor();
          await p.page.getByRole('button', { name: 'Save providers' }).click();
          await p.page.getByRole('status').getByText('Saved.').waitFor();
          const saved = (await (
            await t.fetch('/management/sms-providers', { key: t.tenant.managementSecretKey })
          ).json()) as {
            providers: { type: string }[];
          };
          expect(saved.providers.map((x) => x.type)).toEqual(['twilio', 'dev']);

          await p.page.getByLabel('Phone number').fill('+64211234567');
          await p.page.getByRole('button', { name: 'Send test SMS' }).click();
          expect(await p.page.getByTestId('test-sms-result').textContent()).toMatch(
            /^Sent through Twilio; the vendor accepted it \(SM[0-9a-f]+\)/,
          );
          expect(twilio.messages).toHaveLength(1);
          expect(await seriousA11yViolationsOf(p.page)).toEqual([]);
          await expectCleanPage(p);
        } finally {
          await twilio.close();
        }
      }),
    );

    it(
      'edits a template and sees the segment count change as it types',
      needs(SMS_ROUTES, async () => {
        await p.page.goto(`${t.server.url}/portal/#/messages`);
        await heading(p.page, 'Messages');
        const count = p.page.getByTestId('segment-count');
        await expect.poll(() => count.textContent()).toBe('1 segment');
        await p.page
          .getByLabel('Message template')
          .fill(`Your code is {code}. ${'Do not share it with anyone. '.repeat(6)}`);
        await expect.poll(() => count.textContent()).toBe('2 segments');
        await p.page.getByLabel('Message template').fill('Votre code est {code} 😀');
        await p.page.getByText('UCS-2', { exact: true }).waitFor();
        expect(await seriousA11yViolationsOf(p.page)).toEqual([]);
        await expectCleanPage(p);
      }),
    );

    it(
      'builds a rule with the keyboard, simulates it against seeded actions, saves it, and track obeys it',
      needs(RULE_ROUTES, async () => {
        // Seeded history: five sign-ins that the default outcome allowed.
        for (let i = 0; i < 5; i += 1) await t.sdk.track({ userId: `u${i}`, action: 'signIn', attributes: {} });
        await p.page.goto(`${t.server.url}/portal/#/actions/signIn`);
        await heading(p.page, 'Action signIn');
        // Nothing configured it yet: the operator configures it first (default outcome ALLOW).
        await p.page.getByRole('button', { name: 'Configure signIn' }).click();
        // The rule, keyboard only: its name, its outcome, then the condition's variable, operator and value.
        // New rule is disabled until the configuration just created has been read back.
        const newRule = p.page.getByRole('button', { name: 'New rule' });
        await expect.poll(() => newRule.isEnabled(), { timeout: 10_000 }).toBe(true);
        await newRule.focus();
        await p.page.keyboard.press('Enter');
        await p.page.getByLabel('Rule name').focus();
        await p.page.keyboard.type('Block everyone');
        const outcome = p.page.getByRole('combobox', { name: 'Outcome when it matches' });
        await p.page.keyboard.press('Tab');
        await expect.poll(() => outcome.evaluate((el) => el === document.activeElement)).toBe(true);
        await p.page.keyboard.press('ArrowDown'); // opens the list on the current outcome, CHALLENGE
        await p.page.getByRole('option', { name: 'BLOCK' }).waitFor();
        await p.page.keyboard.press('ArrowDown');
        await p.page.keyboard.press('ArrowDown');
        await p.page.keyboard.press('Enter');
        await expect.poll(() => outcome.inputValue()).toBe('BLOCK');
        const variable = p.page.getByTestId('rule-condition').getByRole('combobox', { name: 'Variable' });
        await variable.focus();
        await p.page.keyboard.type('action.code');
        await p.page.keyboard.press('ArrowDown');
        await p.page.keyboard.press('Enter');
        await p.page.keyboard.press('Tab');
        await p.page.keyboard.press('Tab');
        await p.page.keyboard.type('signIn');
        await p.page.getByTestId('rule-validation').getByText('The conditions are valid.').waitFor();
        await p.page.getByRole('tab', { name: 'Raw JSON' }).click();
        expect(JSON.parse(await p.page.getByLabel('Conditions (JsonLogic)').inputValue())).toEqual({
          and: [{ '==': [{ var: 'action.code' }, 'signIn'] }],
        });
        await p.page.getByRole('button', { name: 'Run simulation' }).focus();
        await p.page.keyboard.press('Enter');
        const result = p.page.getByTestId('simulation-result');
        await result.getByText(/of \d+ recorded actions would get another outcome/).waitFor();
        expect(await result.textContent()).toMatch(/5 of 5 recorded actions/);
        await result.getByRole('cell', { name: 'BLOCK' }).first().waitFor();
        expect(await seriousA11yViolationsOf(p.page)).toEqual([]);
        await p.page.getByRole('button', { name: 'Save rule' }).focus();
        await p.page.keyboard.press('Enter');
        await p.page.getByTestId('rule-row').getByText('Block everyone').waitFor();
        const tracked = await t.sdk.track({ userId: 'after', action: 'signIn', attributes: {} });
        expect(tracked.state).toBe('BLOCK');
        await expectCleanPage(p);
      }),
    );

    it(
      'shows the API keys, the audit log and the account page without an accessibility violation',
      needs([...KEY_ROUTES, ...AUDIT_ROUTES], async () => {
        for (const [hash, name] of [
          ['/keys', 'API keys'],
          ['/audit', 'Audit log'],
          ['/account', 'Account and security'],
          ['/actions', 'Actions and rules'],
        ] as const) {
          await p.page.goto(`${t.server.url}/portal/#${hash}`);
          await heading(p.page, name);
          expect({ hash, violations: await seriousA11yViolationsOf(p.page) }).toEqual({ hash, violations: [] });
        }
        await expectCleanPage(p);
      }),
    );
  });
});

/** axe on the journey's own page, as the operator left it (it waits for the page's calls to settle). */
async function seriousA11yViolationsOf(page: Page) {
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  await page.waitForLoadState('networkidle');
  return await seriousA11yViolations(page);
}

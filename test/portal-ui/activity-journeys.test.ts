import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAGIC } from '../fakes/common.js';
import { startTwilioFake } from '../fakes/twilio.js';
import { browserSuite, chromiumNote } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { databases } from '../helpers/databases.js';
import { type ManagementClient, management } from '../helpers/management.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';
import {
  hasRoute,
  launchPortalBrowser,
  type PortalBrowser,
  type PortalPage,
  seriousA11yViolations,
} from './portal-browser.js';

/**
 * Issue 11's pages in real Chromium, on each database: sign-ins and tracked actions driven through
 * @authsignal/node and the Twilio fake (a verified code, a wrong code, a carrier failure, a number the
 * vendor refuses, a review rule), then each page is checked against what was done: the users and their
 * activity, the action's timeline, the why sentence of each challenge, the message log, the dashboard's
 * numbers, and approving a review, which getAction then reports. axe runs on every new page.
 */

const ACTIVITY_ROUTES = [
  ['GET', '/v1/management/users'],
  ['GET', '/v1/management/users/:userId'],
  ['GET', '/v1/management/users/:userId/activity'],
  ['GET', '/v1/management/actions/:idempotencyKey'],
  ['GET', '/v1/management/challenges/:challengeId'],
  ['GET', '/v1/management/reviews'],
  ['POST', '/v1/management/reviews/:idempotencyKey'],
] as const;
const MSGLOG_ROUTES = [
  ['GET', '/v1/management/sms/messages'],
  ['GET', '/v1/management/sms/summary'],
  ['GET', '/v1/management/actions/outcomes'],
] as const;

const PASSWORD = 'a long portal password 1';
const EMAIL = 'support-lead@example.com';
const codeIn = (text: string) => /\b(\d{6})\b/.exec(text)?.[1] ?? '';
const heading = (page: Page, name: string | RegExp) => page.getByRole('heading', { name, level: 1 }).waitFor();

interface Flow {
  userId: string;
  idempotencyKey: string;
  challengeId?: string;
  why: string;
  phone?: string;
}

interface WhyReply {
  why: { code: string; sentence: string };
}

browserSuite(`portal activity journeys${chromiumNote}`, () => {
  describe.each(databases)('$name', (db) => {
    let t: TestServer;
    let api: ManagementClient;
    let browser: PortalBrowser;
    let p: PortalPage;
    let twilio: Awaited<ReturnType<typeof startTwilioFake>>;
    const flows: Record<string, Flow> = {};
    let accepted = 0;
    let verified = 0;

    beforeAll(async () => {
      t = await startTestServer(db);
      api = management(t.apiUrl, t.tenant.managementSecretKey, '');
      twilio = await startTwilioFake();
      browser = await launchPortalBrowser();
    });
    afterEach(async (ctx) => {
      if (ctx.task.result?.state !== 'fail' || !p) return;
      const file = join(tmpdir(), `portal-activity-${db.name}-${ctx.task.name.slice(0, 24).replace(/\W+/g, '-')}.png`);
      await p.page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
      console.error(
        `screenshot: ${file}\nfailed responses: ${p.failedResponses.join(', ')}\nerrors: ${p.errors.join(' | ')}`,
      );
    });
    afterAll(async () => {
      await browser?.close();
      await twilio?.close();
      await t?.close();
    });

    const missing = (routes: readonly (readonly [string, string])[]) =>
      routes.filter(([m, u]) => !hasRoute(t.server.app, m as 'GET', u)).map(([m, u]) => `${m} ${u}`);
    /** A missing route fails the journey by name (expected until the server routes are merged). */
    const needs = (routes: readonly (readonly [string, string])[], body: () => Promise<void>) => async () => {
      expect(missing(routes), 'routes this journey needs').toEqual([]);
      await body();
    };

    /** One sign-in: track (CHALLENGE), then an SMS challenge bound to that action. */
    async function signIn(userId: string, to: string): Promise<{ idempotencyKey: string; challengeId?: string }> {
      const tracked = await t.sdk.track({ userId, action: 'signIn', attributes: { ipAddress: '203.0.113.7' } });
      expect(tracked.state).toBe('CHALLENGE_REQUIRED');
      const challenged = await t.sdk
        .challenge({
          verificationMethod: 'SMS',
          action: 'signIn',
          userId,
          phoneNumber: to,
          idempotencyKey: tracked.idempotencyKey,
        })
        .catch((err: unknown) => err);
      const challengeId = (challenged as { challengeId?: string }).challengeId;
      return { idempotencyKey: tracked.idempotencyKey, ...(challengeId ? { challengeId } : {}) };
    }

    it(
      'drives sign-ins and a review through the SDK and the Twilio fake',
      needs([], async () => {
        const configs = management(t.apiUrl, t.tenant.managementSecretKey);
        const providers = await api.request<{ providers: { receiptUrl?: string }[] }>('PUT', '/sms-providers', {
          providers: [twilio.config()],
        });
        expect(providers.status).toBe(200);
        const receiptUrl = providers.body.providers[0]?.receiptUrl ?? '';
        await configs.createConfig('signIn', 'CHALLENGE');
        await configs.createConfig('withdraw', 'ALLOW');
        await configs.createRule('withdraw', {
          name: 'Review withdrawals',
          type: 'REVIEW',
          priority: 1,
          conditions: { and: [{ '==': [{ var: 'action.code' }, 'withdraw'] }] },
        } as never);

        // Verified with the right code.
        const alicePhone = phone();
        const alice = await signIn('alice', alicePhone);
        const aliceCode = codeIn(twilio.messages.find((m) => m.to === alicePhone)?.text ?? '');
        expect(
          (await t.sdk.verify({ challengeId: alice.challengeId ?? '', verificationCode: aliceCode })).isVerified,
        ).toBe(true);
        // A verified challenge enrols nothing: her number goes on her user record, where search looks.
        await t.sdk.updateUser({ userId: 'alice', attributes: { phoneNumber: alicePhone } });
        flows.alice = { userId: 'alice', ...alice, why: 'verified', phone: alicePhone };
        accepted += 1;
        verified += 1;

        // A wrong code, twice.
        const bob = await signIn('bob', phone());
        for (let i = 0; i < 2; i += 1) {
          const wrong = await t.sdk
            .verify({ challengeId: bob.challengeId ?? '', verificationCode: '000000' })
            .catch(() => null);
          expect(wrong?.isVerified ?? false).toBe(false);
        }
        flows.bob = { userId: 'bob', ...bob, why: 'entered_wrongly' };
        accepted += 1;

        // Accepted by Twilio, then failed by the carrier's receipt.
        const carol = await signIn('carol', MAGIC.failsByReceipt);
        const carolMessage = twilio.messages.find((m) => m.to === MAGIC.failsByReceipt);
        expect(carolMessage).toBeDefined();
        expect(await twilio.postReceipt(receiptUrl, carolMessage?.id ?? '', 'failed')).toBeLessThan(300);
        flows.carol = { userId: 'carol', ...carol, why: 'failed_by_carrier' };
        accepted += 1;

        // Refused by the vendor: an invalid number.
        const dave = await signIn('dave', MAGIC.invalidNumber);
        flows.dave = { userId: 'dave', ...dave, why: 'refused_by_vendor' };

        // A withdrawal sent to review.
        const review = await t.sdk.track({ userId: 'erin', action: 'withdraw', attributes: {} });
        expect(review.state).toBe('REVIEW_REQUIRED');
        flows.erin = { userId: 'erin', idempotencyKey: review.idempotencyKey, why: '' };

        // A support operator signs in by a one-time link.
        const made = await runCli(
          ['admin', 'create', '--email', EMAIL, '--role', 'support', '--tenant', t.tenant.tenantId, '--json'],
          t.cliEnv,
        );
        expect(made.code, made.stderr).toBe(0);
        const link = (JSON.parse(made.stdout.trim().split('\n').at(-1) ?? '{}') as { link?: string }).link ?? '';
        const token = /#\/link\/([^/?#]+)/.exec(link)?.[1] ?? '';
        p = await browser.open(`${t.server.url}/portal/#/link/${token}`);
        await p.page.getByLabel('New password').fill(PASSWORD);
        await p.page.getByLabel('Repeat the password').fill(PASSWORD);
        await p.page.getByRole('button', { name: 'Continue' }).click();
        // support has config:read, so it lands on the actions; the new pages are in its navigation.
        await heading(p.page, 'Actions and rules');
        const nav = p.page.getByRole('navigation', { name: 'Portal' });
        for (const name of ['Dashboard', 'Users', 'Review queue', 'Message log']) {
          await nav.getByRole('link', { name }).waitFor();
        }
      }),
    );

    it(
      'finds a user by ID and by the last digits of the phone, and shows their activity',
      needs(ACTIVITY_ROUTES, async () => {
        await p.page.goto(`${t.server.url}/portal/#/users`);
        await heading(p.page, 'Users');
        await p.page.getByLabel('User ID, email or phone number').fill('alice');
        await p.page.getByRole('button', { name: 'Search' }).click();
        const table = p.page.getByTestId('users-table');
        await table.getByRole('link', { name: 'alice', exact: true }).waitFor();
        await expect.poll(() => table.locator('tbody tr').count()).toBe(1);
        expect(await seriousA11yViolationsOf(p.page)).toEqual([]);
        // The last four digits of her number find her too (her SMS authenticator's number).
        await p.page.getByLabel('User ID, email or phone number').fill(flows.alice?.phone?.slice(-4) ?? '');
        await p.page.getByRole('button', { name: 'Search' }).click();
        await expect.poll(() => table.locator('tbody tr').first().textContent()).toContain('alice');
        await table.getByRole('link', { name: 'alice', exact: true }).click();
        await heading(p.page, 'User alice');
        const activity = p.page.getByTestId('activity');
        // Newest first: the challenge, then the action it belongs to.
        await activity.getByRole('link', { name: /^Code to/ }).waitFor();
        await activity.getByRole('link', { name: 'Action signIn' }).waitFor();
        expect(await activity.locator('tbody tr').first().textContent()).toMatch(/Code to/);
        expect(await activity.textContent()).toContain('203.0.113.7');
        expect(await seriousA11yViolationsOf(p.page)).toEqual([]);
        await activity.getByRole('link', { name: 'Action signIn' }).click();
        await heading(p.page, 'Action signIn');
        expect(p.page.url()).toContain(`/activity/actions/${encodeURIComponent(flows.alice?.idempotencyKey ?? '')}`);
      }),
    );

    it(
      'shows one timeline for the action, with the wrong codes and the why sentence',
      needs(ACTIVITY_ROUTES, async () => {
        const bob = flows.bob as Flow;
        await p.page.goto(`${t.server.url}/portal/#/activity/actions/${encodeURIComponent(bob.idempotencyKey)}`);
        await heading(p.page, 'Action signIn');
        const timeline = p.page.getByTestId('timeline');
        await timeline.locator('[data-kind="code_sent"]').first().waitFor();
        expect(await timeline.locator('[data-kind="wrong_code"]').count()).toBe(2);
        expect(await timeline.locator('[data-kind="code_sent"]').first().textContent()).toMatch(/twilio/i);
        const detail = await api.request<{ challenges: WhyReply[] }>(
          'GET',
          `/actions/${encodeURIComponent(bob.idempotencyKey)}`,
        );
        const sentence = detail.body.challenges[0]?.why.sentence ?? '';
        expect(await p.page.getByTestId(`why-${bob.challengeId}`).getByTestId('why-sentence').textContent()).toBe(
          sentence,
        );
        expect(sentence).toMatch(/2/);
        expect(await seriousA11yViolationsOf(p.page)).toEqual([]);
      }),
    );

    it(
      'says why for each challenge: verified, entered wrongly, failed by the carrier, refused by the vendor',
      needs(ACTIVITY_ROUTES, async () => {
        for (const name of ['alice', 'bob', 'carol']) {
          const flow = flows[name] as Flow;
          const reply = await api.request<WhyReply>('GET', `/challenges/${flow.challengeId}`);
          expect(reply.status).toBe(200);
          expect({ name, code: reply.body.why.code }).toEqual({ name, code: flow.why });
          await p.page.goto(`${t.server.url}/portal/#/activity/challenges/${flow.challengeId}`);
          await heading(p.page, /^Code to/);
          expect(await p.page.getByTestId('why-sentence').textContent()).toBe(reply.body.why.sentence);
          expect({ name, violations: await seriousA11yViolationsOf(p.page) }).toEqual({ name, violations: [] });
        }
        // The vendor refused dave's number: his action shows it.
        const dave = flows.dave as Flow;
        const detail = await api.request<{ challenges: { challengeId: string; why: WhyReply['why'] }[] }>(
          'GET',
          `/actions/${encodeURIComponent(dave.idempotencyKey)}`,
        );
        const refused = detail.body.challenges[0];
        expect(refused?.why.code).toBe('refused_by_vendor');
        await p.page.goto(`${t.server.url}/portal/#/activity/actions/${encodeURIComponent(dave.idempotencyKey)}`);
        await heading(p.page, 'Action signIn');
        expect(await p.page.getByTestId(`why-${refused?.challengeId}`).getByTestId('why-sentence').textContent()).toBe(
          refused?.why.sentence,
        );
      }),
    );

    it(
      'lists every send in the message log, masked, and opens its challenge',
      needs(MSGLOG_ROUTES, async () => {
        await p.page.goto(`${t.server.url}/portal/#/message-log`);
        await heading(p.page, 'Message log');
        const rows = p.page.getByTestId('message-row');
        await rows.first().waitFor();
        const reply = await api.request<{ items: { status: string }[] }>('GET', '/sms/messages?limit=200');
        await expect.poll(() => rows.count()).toBe(reply.body.items.length);
        expect(reply.body.items.length).toBeGreaterThanOrEqual(4); // three accepted, one refused by Twilio
        expect(await p.page.getByTestId('message-log').textContent()).not.toContain(MAGIC.failsByReceipt);
        expect(await seriousA11yViolationsOf(p.page)).toEqual([]);
        await p.page.getByRole('combobox', { name: 'Status' }).click();
        await p.page.getByRole('option', { name: 'failed' }).click();
        await p.page.getByRole('button', { name: 'Filter' }).click();
        const failed = reply.body.items.filter((m) => m.status === 'failed').length;
        await expect.poll(() => rows.count()).toBe(failed);
        await rows.first().getByRole('link', { name: 'Open challenge' }).click();
        await heading(p.page, /^Code to/);
      }),
    );

    it(
      'shows on the dashboard exactly what was done',
      needs(MSGLOG_ROUTES, async () => {
        await p.page.goto(`${t.server.url}/portal/#/dashboard`);
        await heading(p.page, 'Dashboard');
        const totals = p.page.getByTestId('dashboard-totals');
        await totals.waitFor();
        expect(await totals.textContent()).toContain(`Sent ${accepted} `);
        expect(await totals.textContent()).toContain(`verified ${verified} `);
        expect(await totals.textContent()).toContain(`conversion ${Math.round((verified / accepted) * 1000) / 10}%`);
        const outcomes = p.page.getByTestId('chart-outcomes-table');
        const withdraw = outcomes.getByRole('row', { name: /withdraw/ });
        expect(await withdraw.locator('[data-series="REVIEW_REQUIRED"]').textContent()).toBe('1');
        const signIn = outcomes.getByRole('row', { name: /signIn/ });
        expect(await signIn.locator('[data-series="CHALLENGE_REQUIRED"]').textContent()).toBe('4');
        expect(await p.page.getByTestId('chart-failures-table').locator('tbody tr').count()).toBeGreaterThanOrEqual(1);
        expect(await seriousA11yViolationsOf(p.page)).toEqual([]);
        // SegmentedControl hides its radio inputs; a person clicks the label.
        await p.page.locator('label', { hasText: '30 days' }).click();
        await expect.poll(() => totals.textContent()).toContain(`Sent ${accepted} `);
        // No price table yet, and support (config:read) sees it but may not change it.
        expect(await totals.textContent()).toContain('estimated cost —');
        await p.page.getByRole('form', { name: 'Price table' }).waitFor();
        expect(await p.page.getByRole('button', { name: 'Save prices' }).count()).toBe(0);
        // Priced through the Management API, every accepted code is one segment to New Zealand.
        const priced = await api.request('PUT', '/sms/prices', { currency: 'NZD', perSegment: { NZ: 0.1 } });
        expect(priced.status).toBe(200);
        await p.page.reload();
        await expect.poll(() => totals.textContent()).toContain(`estimated cost ${(accepted * 0.1).toFixed(2)} NZD`);
      }),
    );

    it(
      'approves a review, and getAction reports REVIEW_SUCCEEDED',
      needs(ACTIVITY_ROUTES, async () => {
        const erin = flows.erin as Flow;
        await p.page.goto(`${t.server.url}/portal/#/reviews`);
        await heading(p.page, 'Review queue');
        const row = p.page.getByTestId('review-row');
        await expect.poll(() => row.count()).toBe(1);
        expect(await seriousA11yViolationsOf(p.page)).toEqual([]);
        await p.page.getByRole('button', { name: `Approve withdraw ${erin.idempotencyKey}` }).click();
        await p.page
          .getByTestId('review-result')
          .getByText(/REVIEW_SUCCEEDED/)
          .waitFor();
        await expect.poll(() => row.count()).toBe(0);
        const action = await t.sdk.getAction({
          userId: 'erin',
          action: 'withdraw',
          idempotencyKey: erin.idempotencyKey,
        });
        expect(action?.state).toBe('REVIEW_SUCCEEDED');
        await p.page.goto(`${t.server.url}/portal/#/activity/actions/${encodeURIComponent(erin.idempotencyKey)}`);
        await heading(p.page, 'Action withdraw');
        await p.page.getByTestId('timeline').locator('[data-kind="review_decision"]').waitFor();
        expect(await p.page.getByTestId('rules-evaluated').locator('[data-deciding]').textContent()).toContain(
          'Review withdrawals',
        );
      }),
    );

    it(
      'shows the development inbox on a development server, without an accessibility violation',
      needs([['GET', '/v1/management/dev/inbox']], async () => {
        await p.page.goto(`${t.server.url}/portal/#/inbox`);
        await heading(p.page, 'Development inbox');
        await p.page
          .getByRole('navigation', { name: 'Portal' })
          .getByRole('link', { name: 'Development inbox' })
          .waitFor();
        expect(await seriousA11yViolationsOf(p.page)).toEqual([]);
        expect(await p.cspViolations()).toEqual([]);
        expect(p.errors).toEqual([]);
      }),
    );
  });
});

/** axe on the page as the journey left it, once its calls have settled. */
async function seriousA11yViolationsOf(page: Page) {
  await page.getByRole('heading', { level: 1 }).first().waitFor();
  await page.waitForLoadState('networkidle');
  return await seriousA11yViolations(page);
}

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Authsignal } from '@authsignal/node';
import { chromium, type Page } from 'playwright-core';
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/main.js';
import { startTwilioFake } from '../test/fakes/twilio.js';

/**
 * Saves a PNG of every portal page into docs/portal/: `npx tsx scripts/portal-screenshots.ts`.
 * It starts a Sigil of its own (SQLite in a temporary directory) and seeds a tenant as an operator
 * would: an owner account made by `sigil admin create --password-stdin`, a member who accepted an
 * invitation and one invited, a second management key and a server key being rotated, the Twilio fake
 * before the development inbox, a template, an action with rules and some tracked actions, SMS
 * sign-ins (verified, a wrong code, a number Twilio refuses, one the carrier fails) with their delivery
 * receipts, a price table, and a payout held for review. Then it
 * signs in through the sign-in page, with the real session, and visits every page. Add `--axe` to list
 * serious and critical accessibility violations.
 */
const CHROMIUM = process.env.SIGIL_CHROMIUM ?? '/usr/bin/chromium';
const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(root, 'docs', 'portal');
const email = 'owner@example.com';
const password = 'correct horse battery staple';

const masterKey = randomBytes(32).toString('base64');
const databaseUrl = `sqlite:${join(mkdtempSync(join(tmpdir(), 'sigil-shots-')), 'sigil.db')}`;
const config = loadConfig({
  NODE_ENV: 'test',
  PORT: '0',
  SIGIL_MASTER_KEY: masterKey,
  SIGIL_BOOTSTRAP_DEV_TENANT: 'false',
  DATABASE_URL: databaseUrl,
});
const server = await startServer(config);
const tenant = await server.deps.tenantService.create('Acme');
const management = `Basic ${Buffer.from(`${tenant.managementSecretKey}:`).toString('base64')}`;
const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: management, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`seed: ${method} ${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
};

/** `sigil admin create`, in its own process as an operator runs it, the password on standard input. */
function adminCreate(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'npx',
      ['tsx', 'src/cli/index.ts', 'admin', 'create', '--email', email, '--role', 'owner', '--password-stdin'],
      {
        cwd: root,
        env: { ...process.env, DATABASE_URL: databaseUrl, SIGIL_MASTER_KEY: masterKey, NODE_ENV: 'test' },
        stdio: ['pipe', 'inherit', 'inherit'],
      },
    );
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`sigil admin create exited ${code}`))));
    child.stdin.end(password);
  });
}
await adminCreate();

// The team: one member who accepted an invitation, one invitation still open.
const invited = await call('POST', '/v1/management/invites', { email: 'dev@example.com', role: 'developer' });
const token = /#\/link\/([^/?#]+)/.exec(String(invited.link))?.[1];
const redeemed = await fetch(`${server.url}/v1/portal/links/redeem`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ token, password: 'the developer password' }),
});
if (!redeemed.ok) throw new Error(`seed: redeeming the invitation answered ${redeemed.status}`);
await call('POST', '/v1/management/invites', { email: 'support@example.com', role: 'support' });

// Keys: a second management key, and the server key rotated with a day's grace.
await call('POST', '/v1/management/api-keys', { kind: 'management', name: 'CI deploys' });
const keys = (await (
  await fetch(`${server.url}/v1/management/api-keys`, { headers: { authorization: management } })
).json()) as { keyId: string; kind: string }[];
const serverKey = keys.find((k) => k.kind === 'server');
if (serverKey) await call('POST', `/v1/management/api-keys/${serverKey.keyId}/rotate`, { gracePeriodMinutes: 1440 });

// SMS: the Twilio fake first, the development inbox after it.
const twilio = await startTwilioFake();
const saved = (await call('PUT', '/v1/management/sms-providers', {
  providers: [{ ...twilio.config(), name: 'Twilio' }, { type: 'dev' }],
})) as { providers: { receiptUrl?: string }[] };
const receiptUrl = saved.providers[0]?.receiptUrl ?? '';
await call('PUT', '/v1/management/sms/prices', { currency: 'NZD', perSegment: { NZ: 0.079, AU: 0.062 }, default: 0.1 });
await call('PUT', '/v1/management/sms-templates/default', {
  text: 'Your {appName} code is {code}. It expires in {expiresInMinutes} minutes.',
});
await call('POST', '/v1/management/action-configurations', { actionCode: 'signIn', defaultUserActionResult: 'ALLOW' });
await call('POST', '/v1/management/action-configurations/signIn/rules', {
  name: 'Challenge new devices',
  type: 'CHALLENGE',
  priority: 10,
  conditions: { and: [{ '==': [{ var: 'device.isNew' }, true] }] },
});
await call('POST', '/v1/management/action-configurations/signIn/rules', {
  name: 'Block outside NZ and AU',
  type: 'BLOCK',
  priority: 20,
  isActive: false,
  conditions: { and: [{ '!': { in: [{ var: 'ip.location.country.countryCode' }, ['NZ', 'AU']] } }] },
});
// Tracked through the rotated server key, which still answers during its day of grace.
const sdk = new Authsignal({ apiSecretKey: tenant.apiSecretKey, apiUrl: `${server.url}/v1`, retries: 0 });
for (let i = 0; i < 12; i += 1) {
  await sdk.track({ userId: `user-${i % 5}`, action: i % 3 ? 'signIn' : 'withdraw', attributes: {} });
}

// Activity for the issue 11 pages: sign-ins by SMS (verified, a wrong code, refused by Twilio) and a
// withdrawal held for review.
await call('POST', '/v1/management/action-configurations', { actionCode: 'payout', defaultUserActionResult: 'REVIEW' });
const shotIds: { challengeId?: string; idempotencyKey?: string } = {};
for (const [i, to] of ['+64211234567', '+64211234568', '+64211000001', '+64211000007'].entries()) {
  const userId = `user-${i}`;
  const tracked = await sdk.track({ userId, action: 'signIn', attributes: { ipAddress: '203.0.113.7' } });
  const challenged = await sdk
    .challenge({
      verificationMethod: 'SMS',
      action: 'signIn',
      userId,
      phoneNumber: to,
      idempotencyKey: tracked.idempotencyKey,
    })
    .catch(() => null);
  if (!challenged?.challengeId) continue;
  const text = twilio.messages.find((m) => m.to === to)?.text ?? '';
  const code = i === 0 ? (/\b(\d{6})\b/.exec(text)?.[1] ?? '') : '000000';
  await sdk.verify({ challengeId: challenged.challengeId, verificationCode: code }).catch(() => null);
  if (i === 1) Object.assign(shotIds, { challengeId: challenged.challengeId, idempotencyKey: tracked.idempotencyKey });
}
// Delivery receipts for the message log and dashboard: two delivered, one failed by the carrier.
for (const to of ['+64211234567', '+64211234568', '+64211000007']) {
  const id = twilio.messages.find((m) => m.to === to)?.id ?? '';
  await twilio.postReceipt(receiptUrl, id, to.endsWith('07') ? 'failed' : 'delivered');
}
await sdk.track({ userId: 'user-4', action: 'payout', attributes: {} });

const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
// CSP is bypassed here only so that --axe can inject axe-core; test/portal-ui checks the CSP.
const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, bypassCSP: true });
const axe = process.argv.includes('--axe');
context.setDefaultTimeout(10_000);
const page = await context.newPage();
page.on('pageerror', (err) => console.warn(`page error: ${err.message}`));
mkdirSync(outDir, { recursive: true });

const shot = async (name: string, hash: string, ready: (p: Page) => Promise<unknown>) => {
  await page.goto(`${server.url}/portal/#${hash}`);
  await ready(page).catch(async (err: unknown) => {
    await page.screenshot({ path: join(tmpdir(), `sigil-shot-${name}-failed.png`) });
    throw new Error(`${name}: the page did not get ready at ${page.url()}`, { cause: err });
  });
  await page.waitForTimeout(400);
  // The whole page in one window as tall as it, so the fixed header and navigation sit where they
  // belong (a full-page capture of a scrolled page draws them mid-page).
  await page.evaluate(() => window.scrollTo(0, 0));
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: 1280, height: Math.max(860, height) });
  await page.waitForTimeout(200);
  await page.screenshot({ path: join(outDir, `${name}.png`) });
  await page.setViewportSize({ width: 1280, height: 860 });
  console.log(`docs/portal/${name}.png`);
  if (axe) {
    await page.addScriptTag({ path: fileURLToPath(new URL('../node_modules/axe-core/axe.min.js', import.meta.url)) });
    const found = await page.evaluate(async () => {
      const run = (
        window as unknown as {
          axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> };
        }
      ).axe;
      const result = await run.run();
      return result.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map(
          (v) =>
            `${v.id}: ${v.nodes.map((n) => `${n.target.join(' ')} ${(n as unknown as { html: string }).html}`).join(', ')}`,
        );
    });
    for (const line of found) console.warn(`  axe (${name}): ${line}`);
  }
};

await shot('sign-in', '/sign-in', (p) => p.getByRole('heading', { name: 'Sign in' }).waitFor());
await page.getByLabel('Email').fill(email);
await page.getByRole('textbox', { name: 'Password', exact: true }).fill(password);
await page.getByRole('button', { name: 'Sign in' }).click();
const heading = (name: string) => (p: Page) => p.getByRole('heading', { name, level: 1 }).waitFor();
await heading('Actions and rules')(page);

await shot('actions', '/actions', async (p) => {
  await heading('Actions and rules')(p);
  await p.getByRole('link', { name: 'signIn' }).first().waitFor();
});
await shot('action-rules', '/actions/signIn', async (p) => {
  await heading('Action signIn')(p);
  // What turning the inactive rule on would do, before saving it.
  await p.getByRole('button', { name: 'Edit rule Block outside NZ and AU' }).click();
  await p.getByRole('switch', { name: 'Active' }).last().check();
  await p.getByTestId('rule-validation').getByText('The conditions are valid.').waitFor();
  await p.getByRole('button', { name: 'Run simulation' }).click();
  await p
    .getByTestId('simulation-result')
    .getByText(/recorded actions would get another outcome/)
    .waitFor();
});
await shot('sms-delivery', '/sms', async (p) => {
  await heading('SMS delivery')(p);
  await p
    .getByTestId('provider-0')
    .getByRole('heading', { name: /Twilio/ })
    .waitFor();
  await p.getByLabel('Phone number').fill('+64211234567');
  await p.getByRole('button', { name: 'Send test SMS' }).click();
  await p.getByTestId('test-sms-result').waitFor();
});
await shot('messages', '/messages', async (p) => {
  await heading('Messages')(p);
  await p.getByTestId('segment-count').waitFor();
});
await shot('api-keys', '/keys', async (p) => {
  await heading('API keys')(p);
  await p.getByText('CI deploys').first().waitFor();
});
await shot('team', '/team', async (p) => {
  await heading('Team')(p);
  await p.getByRole('cell', { name: 'dev@example.com', exact: true }).waitFor();
});
await shot('audit-log', '/audit', async (p) => {
  await heading('Audit log')(p);
  await p
    .getByRole('cell', { name: /sms-providers/ })
    .first()
    .waitFor();
});
await shot('account', '/account', async (p) => {
  await heading('Account and security')(p);
  await p.getByRole('button', { name: 'Set up an authenticator' }).click();
  await p.getByRole('img', { name: /QR code/ }).waitFor();
});

// Issue 11: activity pages (they need the activity and msglog routes).
await shot('dashboard', '/dashboard', async (p) => {
  await heading('Dashboard')(p);
  await p.getByTestId('dashboard-totals').waitFor();
});
await shot('users', '/users', async (p) => {
  await heading('Users')(p);
  await p.getByRole('link', { name: 'user-1', exact: true }).waitFor();
});
await shot('user', '/users/user-1', async (p) => {
  await heading('User user-1')(p);
  await p.getByTestId('activity').getByRole('link').first().waitFor();
});
await shot('action-detail', `/activity/actions/${encodeURIComponent(shotIds.idempotencyKey ?? '')}`, async (p) => {
  await heading('Action signIn')(p);
  await p.getByTestId('timeline').waitFor();
});
await shot('challenge-why', `/activity/challenges/${encodeURIComponent(shotIds.challengeId ?? '')}`, async (p) => {
  await p.getByTestId('why-sentence').waitFor();
});
await shot('review-queue', '/reviews', async (p) => {
  await heading('Review queue')(p);
  await p.getByTestId('review-row').first().waitFor();
});
await shot('message-log', '/message-log', async (p) => {
  await heading('Message log')(p);
  await p.getByTestId('message-row').first().waitFor();
});
await shot('dev-inbox', '/inbox', (p) => heading('Development inbox')(p));

await browser.close();
await twilio.close();
await server.close();

import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Authsignal } from '@authsignal/node';
import { chromium, type Page } from 'playwright-core';
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/main.js';

/**
 * Saves a PNG of every portal page into docs/portal/: `npx tsx scripts/portal-screenshots.ts`.
 * It starts a Sigil of its own (SQLite in a temporary directory), seeds a tenant with providers, a
 * template, an action with rules and some tracked actions, and signs in.
 *
 * Signing in needs the portal's session routes (/v1/portal). Where this server has none yet, the
 * script shows the pages on the tenant's management key instead: it adds the key to the browser's
 * Management API calls and answers /v1/portal/me with that tenant. That is a preview of the pages for
 * the docs, never a test; test/portal-ui drives the real sign-in.
 */
const CHROMIUM = process.env.SIGIL_CHROMIUM ?? '/usr/bin/chromium';
const outDir = fileURLToPath(new URL('../docs/portal', import.meta.url));
const email = 'owner@example.com';
const password = 'correct horse battery staple';

const config = loadConfig({
  NODE_ENV: 'test',
  PORT: '0',
  SIGIL_MASTER_KEY: randomBytes(32).toString('base64'),
  SIGIL_BOOTSTRAP_DEV_TENANT: 'false',
  DATABASE_URL: `sqlite:${join(mkdtempSync(join(tmpdir(), 'sigil-shots-')), 'sigil.db')}`,
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
  if (!res.ok) console.warn(`seed: ${method} ${path} answered ${res.status}`);
  return res;
};
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
  conditions: { '!': { in: [{ var: 'ip.location.country.countryCode' }, ['NZ', 'AU']] } },
});
const sdk = new Authsignal({ apiSecretKey: tenant.apiSecretKey, apiUrl: `${server.url}/v1`, retries: 0 });
for (let i = 0; i < 12; i += 1) {
  await sdk.track({ userId: `user-${i % 5}`, action: i % 3 ? 'signIn' : 'withdraw', attributes: {} });
}

const hasSessions = server.app.hasRoute({ method: 'POST', url: '/v1/portal/sign-in' });
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
// CSP is bypassed here only so that --axe can inject axe-core; test/portal-ui checks the CSP.
const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, bypassCSP: true });
const axe = process.argv.includes('--axe');
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
  await page.screenshot({ path: join(outDir, `${name}.png`), fullPage: true });
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
if (hasSessions) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
} else {
  console.warn('No /v1/portal routes on this server: showing the pages on the management key (a preview).');
  await context.route('**/v1/portal/me', (route) =>
    route.fulfill({
      json: {
        account: { accountId: 'preview', email, mfaEnabled: true },
        memberships: [{ tenantId: tenant.tenantId, tenantName: 'Acme', role: 'owner' }],
        csrfToken: 'preview',
        session: {
          status: 'signed_in',
          expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
          idleExpiresAt: new Date(Date.now() + 1_800_000).toISOString(),
        },
        mfaMandatory: false,
      },
    }),
  );
  await context.route('**/v1/portal/sessions', (route) => route.fulfill({ json: [] }));
  await context.route('**/v1/management/**', (route) =>
    route.continue({ headers: { ...route.request().headers(), authorization: management } }),
  );
  // The sign-in page already asked /me (no session); load the app again so it asks the preview.
  await page.reload();
}
const heading = (name: string) => (p: Page) => p.getByRole('heading', { name, level: 1 }).waitFor();
await shot('actions', '/actions', heading('Actions and rules'));
await shot('action-rules', '/actions/signIn', async (p) => {
  await heading('Action signIn')(p);
  await p.getByRole('button', { name: 'Edit rule Challenge new devices' }).click();
  await p
    .getByTestId('rule-validation')
    .getByText(/valid|refuse|Not checked/)
    .first()
    .waitFor({ timeout: 3000 })
    .catch(() => {});
});
await shot('sms-delivery', '/sms', heading('SMS delivery'));
await shot('messages', '/messages', async (p) => {
  await heading('Messages')(p);
  await p
    .getByTestId('template-preview')
    .getByText(/segment|No preview/)
    .first()
    .waitFor({ timeout: 3000 })
    .catch(() => {});
});
await shot('api-keys', '/keys', heading('API keys'));
await shot('team', '/team', heading('Team'));
await shot('audit-log', '/audit', heading('Audit log'));
await shot('account', '/account', heading('Account and security'));

await browser.close();
await server.close();

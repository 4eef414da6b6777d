import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { type RunningServer, startServer } from '../../src/main.js';
import { runCli } from '../helpers/cli.js';
import { databases } from '../helpers/databases.js';
import { PortalClient } from './portal-client.js';

const tokenOf = (link: string) => link.split('/link/')[1] ?? '';

describe.each(databases)('sigil admin create and the development account ($name)', { timeout: 120_000 }, (db) => {
  const servers: RunningServer[] = [];
  afterAll(async () => {
    for (const server of servers) await server.close();
  });

  function freshEnv(): Record<string, string> {
    return {
      ...db.env(),
      SIGIL_MASTER_KEY: randomBytes(32).toString('base64'),
      SIGIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'sigil-admin-')),
      NODE_ENV: 'test',
      SIGIL_BOOTSTRAP_DEV_TENANT: 'false',
    };
  }

  async function serve(env: Record<string, string>) {
    const server = await startServer(loadConfig({ ...env, PORT: '0' }));
    servers.push(server);
    return server;
  }

  it('creates an owner with a one-time sign-in link, or with a password from standard input', async () => {
    const env = freshEnv();
    const none = await runCli(['admin', 'create', '--email', 'first@example.com', '--role', 'owner'], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no tenant yet/);
    const tenant = JSON.parse((await runCli(['tenant', 'create', '--name', 'Acme', '--json'], env)).stdout);

    const linked = await runCli(['admin', 'create', '--email', 'First@Example.com', '--role', 'owner', '--json'], env);
    expect(linked.stderr).toBe('');
    expect(linked.code).toBe(0);
    const out = JSON.parse(linked.stdout);
    expect(out).toMatchObject({ email: 'first@example.com', tenantId: tenant.tenantId, role: 'owner', created: true });
    expect(out.link).toMatch(/\/portal\/#\/link\/[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(out.linkExpiresAt) - Date.now()).toBeGreaterThan(23.9 * 3_600_000);

    const piped = await runCli(
      ['admin', 'create', '--email', 'second@example.com', '--role', 'admin', '--password-stdin', '--json'],
      env,
      'a password from stdin\n',
    );
    expect(piped.stderr).toBe('');
    expect(JSON.parse(piped.stdout).link).toBeUndefined();
    expect(piped.stdout).not.toContain('a password from stdin');

    const server = await serve(env);
    const browser = new PortalClient(server.url);
    const described = await browser.request('GET', `/v1/portal/links/${tokenOf(out.link)}`);
    expect(described.body).toMatchObject({ kind: 'sign-in', email: 'first@example.com', needsPassword: true });
    const redeemed = await browser.request('POST', '/v1/portal/links/redeem', {
      body: { token: tokenOf(out.link), password: 'the first password' },
    });
    expect(redeemed.body.status).toBe('signed_in');
    expect((await browser.me()).body.memberships).toEqual([
      { tenantId: tenant.tenantId, tenantName: 'Acme', role: 'owner' },
    ]);
    const second = await new PortalClient(server.url).signIn('second@example.com', 'a password from stdin');
    expect(second.body.status).toBe('signed_in');
  });

  it('takes no password flag, and needs --tenant when there are several tenants', async () => {
    const env = freshEnv();
    const flag = await runCli(
      ['admin', 'create', '--email', 'a@example.com', '--role', 'owner', '--password', 'x'],
      env,
    );
    expect(flag.code).not.toBe(0);
    expect(flag.stderr).toMatch(/unknown option '--password'/);
    const one = JSON.parse((await runCli(['tenant', 'create', '--name', 'One', '--json'], env)).stdout);
    await runCli(['tenant', 'create', '--name', 'Two'], env);
    const several = await runCli(['admin', 'create', '--email', 'a@example.com', '--role', 'owner'], env);
    expect(several.code).toBe(1);
    expect(several.stderr).toMatch(/--tenant/);
    const badRole = await runCli(['admin', 'create', '--email', 'a@example.com', '--role', 'emperor'], env);
    expect(badRole.code).not.toBe(0);
    const short = await runCli(
      ['admin', 'create', '--email', 'a@example.com', '--role', 'owner', '--tenant', one.tenantId, '--password-stdin'],
      env,
      'short',
    );
    expect(short.code).toBe(1);
    expect(short.stderr).toMatch(/at least 12 characters/);
  });

  it('makes admin@localhost on the first development start and prints its link and the portal URL', async () => {
    const env = { ...freshEnv(), NODE_ENV: 'development', SIGIL_BOOTSTRAP_DEV_TENANT: 'true', LOG_LEVEL: 'silent' };
    const written: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    let server: RunningServer;
    try {
      server = await serve(env);
    } finally {
      spy.mockRestore();
    }
    const output = written.join('');
    expect(output).toContain(`Portal: ${server.url}/portal/`);
    const link = /admin@localhost[^\n]*\n\s+(\S+)/.exec(output)?.[1] ?? '';
    expect(link).toMatch(new RegExp(`^${server.url}/portal/#/link/[A-Za-z0-9_-]{43}$`));
    const browser = new PortalClient(server.url);
    const redeemed = await browser.request('POST', '/v1/portal/links/redeem', {
      body: { token: tokenOf(link), password: 'my development password' },
    });
    expect(redeemed.body.status).toBe('signed_in');
    const me = await browser.me();
    expect(me.body.account.email).toBe('admin@localhost');
    expect(me.body.memberships).toEqual([expect.objectContaining({ tenantName: 'Development', role: 'owner' })]);
    await server.close();
    servers.splice(servers.indexOf(server), 1);

    // The next start finds the account: no new link.
    const again: string[] = [];
    const spy2 = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      again.push(String(chunk));
      return true;
    });
    try {
      await serve(env);
    } finally {
      spy2.mockRestore();
    }
    expect(again.join('')).not.toContain('/link/');
    expect(again.join('')).toContain('Portal: ');
  });
});

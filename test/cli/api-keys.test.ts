import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { databases } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { type CreatedKey, type KeyView, sdkWith } from '../management-api/key-calls.js';

describe.each(databases)('sigil api-keys ($name)', { timeout: 120_000 }, (db) => {
  let t: TestServer;
  // No auth cache on the server: what the CLI revokes in the database is refused by the next request.
  beforeAll(async () => {
    t = await startTestServer(db, { SIGIL_AUTH_CACHE_TTL_MS: '0' });
  });
  afterAll(() => t.close());

  const cli = (...args: string[]) => runCli(['api-keys', ...args, '--tenant', t.tenant.tenantId], t.cliEnv);
  const json = async <T>(...args: string[]): Promise<T> => {
    const result = await cli(...args, '--json');
    expect(result, result.stderr).toMatchObject({ code: 0, stderr: '' });
    return JSON.parse(result.stdout) as T;
  };

  it('lists, creates, rotates with grace and revokes keys, printing each secret once', async () => {
    const listed = await cli('list', '--json');
    expect(listed.code).toBe(0);
    for (const secret of [t.tenant.apiSecretKey, t.tenant.managementSecretKey]) {
      expect(listed.stdout).not.toContain(secret);
      expect(listed.stdout).toContain(`${secret.slice(0, 3)}…${secret.slice(-4)}`);
    }
    const keys = JSON.parse(listed.stdout) as KeyView[];
    expect(keys.map((k) => k.kind).sort()).toEqual(['management', 'server']);

    const created = await json<CreatedKey>('create', '--kind', 'server', '--name', 'ci');
    expect(created).toMatchObject({
      kind: 'server',
      name: 'ci',
      status: 'active',
      secret: expect.stringMatching(/^sk_/),
    });
    expect(await sdkWith(t, created.secret).works()).toBe(true);

    const rotated = await json<CreatedKey>('rotate', '--key', created.keyId, '--grace-minutes', '5');
    expect(rotated).toMatchObject({ kind: 'server', name: 'ci', secret: expect.stringMatching(/^sk_/) });
    expect(await sdkWith(t, rotated.secret).works()).toBe(true);
    expect(await sdkWith(t, created.secret).works()).toBe(true); // in its grace period

    const revoked = await cli('revoke', '--key', rotated.keyId);
    expect(revoked).toMatchObject({ code: 0, stdout: `${JSON.stringify({ revoked: rotated.keyId })}\n` });
    expect(await sdkWith(t, rotated.secret).works()).toBe(false);
    const after = await json<KeyView[]>('list');
    expect(after.find((k) => k.keyId === rotated.keyId)?.status).toBe('revoked');
    expect(after.find((k) => k.keyId === created.keyId)?.status).toBe('expiring');
    expect(JSON.stringify(after)).not.toContain(created.secret);
  });

  it('refuses to revoke the last active management key, and prints a new one in words', async () => {
    const mk = (await json<KeyView[]>('list')).find((k) => k.kind === 'management') as KeyView;
    const refused = await cli('revoke', '--key', mk.keyId);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/last active management key/);

    const created = await cli('create', '--kind', 'management', '--name', 'terraform');
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^secret\s+mk_\S{40,}$/m);
    expect(created.stderr).toMatch(/shown only this once/);
    expect((await cli('revoke', '--key', mk.keyId)).code).toBe(0);
    const res = await fetch(`${t.apiUrl}/management/api-keys`, {
      headers: { authorization: `Basic ${Buffer.from(`${t.tenant.managementSecretKey}:`).toString('base64')}` },
    });
    expect(res.status).toBe(401);
  });

  it('refuses a grace period beyond a week and an unknown kind before touching anything', async () => {
    const grace = await cli('rotate', '--key', 'k', '--grace-minutes', '10081');
    expect(grace.code).not.toBe(0);
    expect(grace.stderr).toMatch(/grace-minutes/);
    const kind = await cli('create', '--kind', 'admin');
    expect(kind.code).not.toBe(0);
    expect(kind.stderr).toMatch(/server or management/);
  });
});

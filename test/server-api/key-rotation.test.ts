import { VerificationMethod } from '@authsignal/node';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { databases } from '../helpers/databases.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

describe.each(databases)('rotating token-signing keys ($name)', { timeout: 120_000 }, (db) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(db);
  });
  afterAll(() => t.close());

  async function succeededToken(userId: string): Promise<string> {
    const to = phone();
    const { challengeId } = await t.sdk.challenge({
      verificationMethod: VerificationMethod.SMS,
      action: 'signIn',
      phoneNumber: to,
    });
    await t.sdk.verify({ challengeId, verificationCode: await t.lastCode(to) });
    return (await t.sdk.claimChallenge({ challengeId, userId })).token;
  }
  const jwks = async () =>
    (await (await fetch(`${t.apiUrl}/client/public/${t.tenant.tenantId}/.well-known/jwks`)).json()) as {
      keys: { kid: string; alg: string }[];
    };

  it('signs new tokens with the new key, keeps old tokens valid, and refuses them once their key is retired', async () => {
    const tokens = t.server.deps.tokenService;
    const before = await succeededToken('rot-1');
    const oldKid = decodeProtectedHeader(before).kid ?? '';
    const newKid = await tokens.createSigningKey(t.tenant.tenantId);
    expect((await jwks()).keys.map((k) => k.kid).sort()).toEqual([oldKid, newKid].sort());

    const after = await succeededToken('rot-2');
    expect(decodeProtectedHeader(after).kid).toBe(newKid);
    const stillValid = await succeededToken('rot-3'); // signed with the new key too
    expect(decodeProtectedHeader(stillValid).kid).toBe(newKid);

    const unvalidatedOld = before;
    expect(await tokens.retireSigningKey(t.tenant.tenantId, oldKid)).toBe(true);
    expect((await jwks()).keys.map((k) => k.kid)).toEqual([newKid]);
    expect(await t.sdk.validateChallenge({ token: unvalidatedOld })).toMatchObject({ isValid: false });
    expect(await t.sdk.validateChallenge({ token: after })).toMatchObject({ isValid: true });
  });

  it('rotates, lists and retires keys from the CLI, and refuses to retire the last one', async () => {
    const env = { ...t.cliEnv };
    const listed = await runCli(['keys', 'list', '--tenant', t.tenant.tenantId], env);
    const active = JSON.parse(listed.stdout) as { kid: string }[];
    const rotated = await runCli(['keys', 'rotate', '--tenant', t.tenant.tenantId], env);
    expect(rotated.code).toBe(0);
    const { kid } = JSON.parse(rotated.stdout) as { kid: string };
    for (const old of active) {
      expect((await runCli(['keys', 'retire', '--tenant', t.tenant.tenantId, '--kid', old.kid], env)).code).toBe(0);
    }
    const last = await runCli(['keys', 'retire', '--tenant', t.tenant.tenantId, '--kid', kid], env);
    expect(last.code, `${last.stdout} ${last.stderr}`).not.toBe(0);
    expect(last.stderr).toMatch(/last active key/);
  });
});

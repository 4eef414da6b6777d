import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

/** A logger at the most verbose level whose every line is kept, to search for leaks. */
function capturingLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), text: () => lines.join('') };
}

describe.each(databases)('no codes or secrets at rest or in logs ($name)', (db) => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  async function fullFlowWithMistakes(server: TestServer, to: string) {
    const { challengeId } = await server.sdk.challenge({
      verificationMethod: 'SMS',
      action: 'signIn',
      phoneNumber: to,
    });
    const code = await server.lastCode(to);
    await server.sdk.verify({ challengeId, verificationCode: code === '000000' ? '111111' : '000000' });
    await server.sdk.verify({ challengeId, verificationCode: code });
    const { token } = await server.sdk.claimChallenge({ challengeId, userId: 'log-user' });
    await server.sdk.validateChallenge({ token });
    await server.fetch('/users/x', { key: 'sk_wrong_key' });
    await server.fetch(`/users?phoneNumber=${encodeURIComponent(to)}&limit=abc`);
    await server.fetch('/verify', { method: 'POST', body: JSON.stringify({ challengeId, verificationCode: code }) });
    return { code, token };
  }

  it('writes no code, secret, token or full phone number to the log', async () => {
    const capture = capturingLogger();
    t = await startTestServer(db, { SIGIL_DEV_SMS_LOG: 'false' }, { logger: capture.logger });
    const to = phone();
    const { code, token } = await fullFlowWithMistakes(t, to);
    const log = capture.text();
    expect(log.length).toBeGreaterThan(0); // failed requests were logged, so there was something to search
    for (const secret of [code, token, to, t.tenant.apiSecretKey, t.tenant.managementSecretKey, 'sk_wrong_key']) {
      expect(log).not.toContain(secret);
    }
  });

  it('proves the capture works: the dev provider does log the code when told to', async () => {
    const capture = capturingLogger();
    t = await startTestServer(db, { SIGIL_DEV_SMS_LOG: 'true' }, { logger: capture.logger });
    const to = phone();
    const { challengeId } = await t.sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to });
    expect(challengeId).toBeTruthy();
    expect(capture.text()).toContain(await t.lastCode(to));
  });

  it('stores codes as HMACs and API keys as hashes, never in plain text', async () => {
    t = await startTestServer(db);
    const to = phone();
    const { challengeId } = await t.sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to });
    const code = await t.lastCode(to);
    const row = await t.server.deps.db
      .selectFrom('challenges')
      .selectAll()
      .where('id', '=', challengeId)
      .executeTakeFirstOrThrow();
    expect(row.code_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify({ ...row, id: '', idempotency_key: '' })).not.toContain(code);
    const keys = await t.server.deps.db.selectFrom('api_keys').selectAll().execute();
    const dump = JSON.stringify(keys);
    expect(dump).not.toContain(t.tenant.apiSecretKey);
    expect(dump).not.toContain(t.tenant.managementSecretKey);
    const signingKeys = JSON.stringify(await t.server.deps.db.selectFrom('signing_keys').selectAll().execute());
    expect(signingKeys).not.toContain('PRIVATE KEY');
    expect(signingKeys).not.toMatch(/"d":/); // no private JWK component in the public key column
  });
});

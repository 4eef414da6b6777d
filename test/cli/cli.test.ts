import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Authsignal, AuthsignalError } from '@authsignal/node';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { type RunningServer, startServer } from '../../src/main.js';
import { openDatabase } from '../../src/storage/db.js';
import { MAGIC } from '../fakes/common.js';
import { startTwilioFake } from '../fakes/twilio.js';
import { runCli } from '../helpers/cli.js';
import { databases } from '../helpers/databases.js';
import { phone } from '../helpers/server.js';

interface CreatedByCli {
  tenantId: string;
  name: string;
  apiSecretKey: string;
  managementSecretKey: string;
  apiUrl: string;
}

describe.each(databases)('sigil CLI ($name)', { timeout: 120_000 }, (db) => {
  const servers: RunningServer[] = [];

  /** The configuration of a brand-new, empty database: a fresh SQLite file or PostgreSQL schema. */
  function freshEnv(): Record<string, string> {
    return {
      ...db.env(),
      SIGIL_MASTER_KEY: randomBytes(32).toString('base64'),
      SIGIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'sigil-cli-')),
      NODE_ENV: 'test',
    };
  }

  async function serve(env: Record<string, string>): Promise<RunningServer> {
    const server = await startServer(loadConfig({ ...env, PORT: '0' }));
    servers.push(server);
    return server;
  }

  async function createTenant(env: Record<string, string>, name = 'Acme'): Promise<CreatedByCli> {
    const result = await runCli(['tenant', 'create', '--name', name, '--json'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout) as CreatedByCli;
  }

  afterAll(async () => {
    for (const server of servers) await server.close();
  });

  it('migrate applies the schema to an empty database, and a second run finds it up to date', async () => {
    const env = freshEnv();
    const first = await runCli(['migrate'], env);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/^Applied: 001_initial(, \d{3}_[a-z_]+)*\n$/);

    const second = await runCli(['migrate'], env);
    expect(second).toMatchObject({ code: 0, stderr: '' });
    expect(second.stdout).toBe('The schema is up to date.\n');
  });

  it('tenant create --json prints one JSON line whose keys work once a server runs on that database', async () => {
    const env = freshEnv();
    // No server is running: the command migrates and writes to the database itself.
    const result = await runCli(['tenant', 'create', '--name', 'Acme', '--json'], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const lines = result.stdout.split('\n');
    expect(lines).toHaveLength(2); // one line and its newline
    expect(lines[1]).toBe('');
    const created = JSON.parse(lines[0] as string) as CreatedByCli;
    expect(created).toEqual({
      tenantId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'Acme',
      apiSecretKey: expect.stringMatching(/^sk_\S{20,}$/),
      managementSecretKey: expect.stringMatching(/^mk_\S{20,}$/),
      apiUrl: `${loadConfig(env).publicUrl}/v1`,
    });

    const server = await serve(env);
    const apiUrl = `${server.url}/v1`;
    const sdk = new Authsignal({ apiSecretKey: created.apiSecretKey, apiUrl, retries: 0 });
    expect(await sdk.getUser({ userId: 'cli-user' })).toMatchObject({ isEnrolled: false });

    const management = await fetch(`${apiUrl}/management/sms-providers`, {
      headers: { authorization: `Basic ${Buffer.from(`${created.managementSecretKey}:`).toString('base64')}` },
    });
    expect(management.status).toBe(200);

    const wrong = new Authsignal({ apiSecretKey: `${created.apiSecretKey}x`, apiUrl, retries: 0 });
    const err = await wrong.getUser({ userId: 'cli-user' }).catch((e) => e);
    expect(err).toBeInstanceOf(AuthsignalError);
    expect(err).toMatchObject({ statusCode: 401 });
  });

  it('stores API secrets only hashed (server key also encrypted), never in plain text', async () => {
    const env = freshEnv();
    const created = await createTenant(env);
    const secrets = [created.apiSecretKey, created.managementSecretKey];
    const { db: kdb } = await openDatabase({ url: env.DATABASE_URL as string, schema: env.SIGIL_DATABASE_SCHEMA });
    try {
      const rows = await kdb.selectFrom('api_keys').selectAll().orderBy('kind').execute();
      const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
      expect(rows).toEqual([
        expect.objectContaining({
          tenant_id: created.tenantId,
          kind: 'management',
          key_hash: sha256(created.managementSecretKey),
          key_enc: null,
        }),
        expect.objectContaining({
          tenant_id: created.tenantId,
          kind: 'server',
          key_hash: sha256(created.apiSecretKey),
          key_enc: expect.stringMatching(/^v1\./),
        }),
      ]);
      const dump = JSON.stringify(rows);
      for (const secret of secrets) {
        expect(dump).not.toContain(secret);
        expect(dump).not.toContain(secret.slice(3)); // without its sk_/mk_ prefix
      }
    } finally {
      await kdb.destroy();
    }
    if (db.name === 'sqlite') {
      // Not anywhere in the database files either.
      const file = (env.DATABASE_URL as string).slice('sqlite:'.length);
      for (const path of [file, `${file}-wal`].filter(existsSync)) {
        const bytes = readFileSync(path);
        for (const secret of secrets) expect(bytes.includes(Buffer.from(secret.slice(3)))).toBe(false);
      }
    }
  });

  it('tenant create without --name exits non-zero and says that --name is required', async () => {
    const env = freshEnv();
    const missing = await runCli(['tenant', 'create', '--json'], env);
    expect(missing.code).not.toBe(0);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/required option '--name <name>' not specified/);

    const blank = await runCli(['tenant', 'create', '--name', '  '], env);
    expect(blank.code).not.toBe(0);
    expect(blank.stdout).toBe('');
    expect(blank.stderr).toMatch(/--name.*must not be empty/);
  });

  it('dev inbox --json lists the message that the dev provider sent for a challenge', async () => {
    const env = freshEnv();
    const created = await createTenant(env);

    const empty = await runCli(['dev', 'inbox'], env);
    expect(empty).toMatchObject({ code: 0, stdout: 'The dev inbox is empty.\n' });

    const server = await serve(env);
    const sdk = new Authsignal({ apiSecretKey: created.apiSecretKey, apiUrl: `${server.url}/v1`, retries: 0 });
    const to = phone();
    const { challengeId } = await sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to });

    const result = await runCli(['dev', 'inbox', '--json', '--to', to], env);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const messages = JSON.parse(result.stdout) as { tenantId: string; challengeId: string; to: string; body: string }[];
    expect(messages).toEqual([
      {
        tenantId: created.tenantId,
        challengeId,
        to,
        body: expect.stringMatching(/\b\d{6}\b/),
        createdAt: expect.any(String),
      },
    ]);
    // The listed code is the one that verifies.
    const code = /\b(\d{6})\b/.exec(messages[0]?.body ?? '')?.[1] as string;
    expect(await sdk.verify({ challengeId, verificationCode: code })).toMatchObject({ isVerified: true });

    const otherTenant = await runCli(['dev', 'inbox', '--json', '--tenant', randomBytes(8).toString('hex')], env);
    expect(JSON.parse(otherTenant.stdout)).toEqual([]);
  });
  it('sms-providers set, list and test: validated, masked, and a real send through the fake', async () => {
    const env = freshEnv();
    const { tenantId } = await createTenant(env);
    const fake = await startTwilioFake();
    try {
      const dir = mkdtempSync(join(tmpdir(), 'sigil-sms-'));
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify([{ ...fake.config(), accountSid: 'nope' }]));
      const refused = await runCli(['sms-providers', 'set', '--tenant', tenantId, '--file', bad], env);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/providers\[0\]: twilio\.accountSid is not valid/);

      const good = join(dir, 'providers.json');
      writeFileSync(good, JSON.stringify([fake.config()]));
      const set = await runCli(['sms-providers', 'set', '--tenant', tenantId, '--file', good], env);
      expect(set).toMatchObject({ code: 0, stderr: '' });
      const listed = await runCli(['sms-providers', 'list', '--tenant', tenantId], env);
      expect(JSON.parse(listed.stdout)).toMatchObject([{ type: 'twilio', accountSid: fake.config().accountSid }]);
      expect(listed.stdout).not.toContain(fake.config().authToken as string);

      const to = phone();
      const tested = await runCli(['sms-providers', 'test', '--tenant', tenantId, '--to', to], env);
      expect(tested).toMatchObject({ code: 0, stderr: '' });
      expect(JSON.parse(tested.stdout)).toMatchObject({ provider: 'twilio', outcome: 'accepted' });
      expect(fake.messages.filter((m) => m.to === to)).toHaveLength(1);

      const failed = await runCli(['sms-providers', 'test', '--tenant', tenantId, '--to', MAGIC.optedOut], env);
      expect(failed.code).toBe(2);
      expect(JSON.parse(failed.stdout)).toMatchObject({
        outcome: 'failed',
        error: { kind: 'number', reason: 'opted_out' },
      });
    } finally {
      await fake.close();
    }
  });
});

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Authsignal } from '@authsignal/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/storage/db.js';
import { childEnv, root, runCli } from '../helpers/cli.js';
import { databases } from '../helpers/databases.js';
import { phone } from '../helpers/server.js';

/** A port that was free a moment ago: the server is a separate process, and PORT=0 could not be read back. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

interface ServerProcess {
  child: ChildProcess;
  port: number;
  apiUrl: string;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ServerProcess>();

/**
 * Starts `sigil start` in its own process group. `npx tsx` runs the server in a grandchild process,
 * so signals go to the whole group (by its id, the child's pid): SIGKILL then reaches the server itself.
 */
async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn('npx', ['tsx', 'src/cli/index.ts', 'start'], {
    cwd: root,
    env: childEnv({ ...env, PORT: String(port) }),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const server: ServerProcess = { child, port, apiUrl: `http://127.0.0.1:${port}/v1`, output: () => output, exited };
  running.add(server);
  exited.then(() => running.delete(server));

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`The server exited before it was healthy:\n${output}`);
    }
    const status = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (res) => res.status,
      () => 0,
    );
    if (status === 200) return server;
    if (Date.now() > deadline) throw new Error(`The server did not become healthy in 30 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function signalGroup(server: ServerProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-(server.child.pid as number), signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err; // already gone
  }
}

/** kill -9: no shutdown hook, no connection draining, no database close. */
async function crash(server: ServerProcess): Promise<void> {
  signalGroup(server, 'SIGKILL');
  expect(await server.exited).toEqual({ code: null, signal: 'SIGKILL' });
  // The server process itself is gone, not only the npx wrapper: nothing answers on its port.
  const after = await fetch(`http://127.0.0.1:${server.port}/healthz`).then(
    (res) => res.status,
    () => 'refused',
  );
  expect(after).toBe('refused');
}

async function stop(server: ServerProcess): Promise<void> {
  signalGroup(server, 'SIGTERM');
  const timer = setTimeout(() => signalGroup(server, 'SIGKILL'), 10_000);
  await server.exited;
  clearTimeout(timer);
}

/** The code in the dev inbox for a challenge, read over a connection of its own. */
async function codeOf(env: Record<string, string>, challengeId: string): Promise<string> {
  const { db } = await openDatabase({ url: env.DATABASE_URL as string, schema: env.SIGIL_DATABASE_SCHEMA });
  try {
    const row = await db
      .selectFrom('dev_inbox')
      .select('body')
      .where('challenge_id', '=', challengeId)
      .executeTakeFirstOrThrow();
    const code = /\b(\d{6})\b/.exec(row.body)?.[1];
    if (!code) throw new Error(`No code in the dev inbox message: ${row.body}`);
    return code;
  } finally {
    await db.destroy();
  }
}

afterAll(async () => {
  // Only the process groups this file started, if a failed test left one behind.
  for (const server of running) signalGroup(server, 'SIGKILL');
});

describe.each(databases)('crash recovery of the server process ($name)', { timeout: 120_000 }, (db) => {
  const env: Record<string, string> = {
    ...db.env(),
    SIGIL_MASTER_KEY: randomBytes(32).toString('base64'),
    SIGIL_DATA_DIR: mkdtempSync(join(tmpdir(), 'sigil-crash-')),
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    SIGIL_BOOTSTRAP_DEV_TENANT: 'false',
    LOG_LEVEL: 'warn',
  };
  let apiSecretKey: string;

  beforeAll(async () => {
    const created = await runCli(['tenant', 'create', '--name', 'Crash', '--json'], env);
    expect(created.code).toBe(0);
    apiSecretKey = (JSON.parse(created.stdout) as { apiSecretKey: string }).apiSecretKey;
  }, 60_000);

  afterAll(async () => {
    for (const server of running) await stop(server);
  });

  it('keeps acknowledged challenges and verifications through kill -9 and a restart', async () => {
    const first = await startServerProcess(env);
    const sdk = new Authsignal({ apiSecretKey, apiUrl: first.apiUrl, retries: 0 });

    // Verified before the crash: the verification was acknowledged, so it must not be lost or repeatable.
    const verifiedTo = phone();
    const verified = await sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: verifiedTo });
    const verifiedCode = await codeOf(env, verified.challengeId);
    expect((await sdk.verify({ challengeId: verified.challengeId, verificationCode: verifiedCode })).isVerified).toBe(
      true,
    );

    // The last thing the server does: acknowledge a new challenge. Then it dies at once.
    const to = phone();
    const pending = await sdk.challenge({ verificationMethod: 'SMS', action: 'signInWithSms', phoneNumber: to });
    expect(pending.challengeId).toMatch(/^[0-9a-f-]{36}$/);
    await crash(first);

    const second = await startServerProcess(env);
    const after = new Authsignal({ apiSecretKey, apiUrl: second.apiUrl, retries: 0 });

    const code = await codeOf(env, pending.challengeId);
    expect(await after.verify({ challengeId: pending.challengeId, verificationCode: code })).toEqual({
      isVerified: true,
      phoneNumber: to,
      verificationMethod: 'SMS',
    });
    const claimed = await after.claimChallenge({ challengeId: pending.challengeId, userId: 'crash-user' });
    expect(await after.validateChallenge({ action: 'signInWithSms', token: claimed.token })).toMatchObject({
      isValid: true,
      state: 'CHALLENGE_SUCCEEDED',
      userId: 'crash-user',
      idempotencyKey: pending.idempotencyKey,
    });

    // The verification acknowledged before the crash is still there: its code is spent, the claim works.
    expect(await after.verify({ challengeId: verified.challengeId, verificationCode: verifiedCode })).toEqual({
      isVerified: false,
      failureReason: 'CODE_INVALID_OR_EXPIRED',
    });
    expect((await after.claimChallenge({ challengeId: verified.challengeId, userId: 'crash-user-2' })).token).toMatch(
      /^ey/,
    );
    await stop(second);
  });
});

import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { sqlite } from '../helpers/databases.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

const redisUrl = process.env.SIGIL_TEST_REDIS_URL;

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

/** A port that nothing listens on: one the OS gave a moment ago, closed again. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  const port = await listen(probe);
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * A TCP proxy in front of the real Redis that a test can take down (connections refused), hang (connections
 * held, nothing forwarded: a Redis that stopped answering) and bring back on the same port.
 */
async function redisProxy(upstream: URL) {
  const sockets = new Set<Socket>();
  let hung = false;
  const server = createServer((client) => {
    const up = connect(Number(upstream.port || 6379), upstream.hostname);
    for (const s of [client, up]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.on('data', (chunk) => hung || up.write(chunk));
    up.on('data', (chunk) => hung || client.write(chunk));
    client.on('close', () => up.destroy());
    up.on('close', () => client.destroy());
  });
  const port = await listen(server);
  return {
    url: `redis://127.0.0.1:${port}`,
    hang: () => {
      hung = true;
    },
    down: async () => {
      await new Promise((resolve) => {
        server.close(resolve);
        for (const s of sockets) s.destroy();
      });
    },
    up: async () => {
      hung = false;
      if (!server.listening) await listen(server, port);
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      if (server.listening) await new Promise((resolve) => server.close(resolve));
    },
  };
}

/**
 * The counters behind every limit live in Redis with REDIS_URL. A Redis that cannot be reached must neither
 * let a code through unlimited nor hang the request or the process: every send and every code check answers
 * 503 service_unavailable within the client's timeouts, and Sigil recovers when Redis does.
 */
describe('a Redis that cannot be reached (sqlite)', () => {
  const servers: TestServer[] = [];
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
  });
  const start = async (url: string) => {
    const t = await startTestServer(sqlite, {
      REDIS_URL: url,
      SIGIL_REDIS_KEY_PREFIX: `sigil-test-${randomBytes(6).toString('hex')}`,
    });
    servers.push(t);
    return t;
  };
  const post = async (t: TestServer, path: string, body: unknown) => {
    const started = Date.now();
    const res = await t.fetch(path, {
      method: 'POST',
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
    return {
      status: res.status,
      retryAfter: res.headers.get('retry-after'),
      body: await res.json(),
      ms: Date.now() - started,
    };
  };
  const challenge = (t: TestServer, phoneNumber: string) =>
    post(t, '/challenge', { verificationMethod: 'SMS', action: 'signIn', phoneNumber });
  const unavailable = (reply: { status: number; retryAfter: string | null; body: unknown; ms: number }) => {
    expect(reply.status).toBe(503);
    expect(reply.retryAfter).toBe('5');
    expect(reply.body).toMatchObject({ error: 'service_unavailable', errorCode: 'service_unavailable' });
    expect(reply.ms).toBeLessThan(8_000); // the command timeout is 3 s
  };
  const sent = async (t: TestServer) => (await t.server.deps.db.selectFrom('dev_inbox').select('id').execute()).length;

  it('starts, and answers 503 to a send when Redis refuses connections from the start', async () => {
    const t = await start(`redis://127.0.0.1:${await closedPort()}`);
    unavailable(await challenge(t, phone()));
    unavailable(await challenge(t, phone()));
    expect(await sent(t)).toBe(0);
    expect((await fetch(`${t.server.url}/healthz`)).status).toBe(200); // the process lives on
    // Not ready, though: a balancer should send no traffic to a node whose limits cannot be counted.
    const ready = await fetch(`${t.server.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({
      errorCode: 'service_unavailable',
      errorDescription: expect.stringMatching(/Redis/),
    });
  });

  it('answers 503 within the command timeout when Redis takes the connection and never answers', async () => {
    const held = new Set<Socket>();
    const silent = createServer((socket) => {
      held.add(socket);
      socket.on('error', () => socket.destroy());
    });
    const port = await listen(silent);
    closers.push(
      () =>
        new Promise((resolve) => {
          silent.close(() => resolve());
          for (const socket of held) socket.destroy();
        }),
    );
    const t = await start(`redis://127.0.0.1:${port}`);
    unavailable(await challenge(t, phone()));
    expect(await sent(t)).toBe(0);
  });

  describe.skipIf(!redisUrl)('when a working Redis goes away', () => {
    it('answers 503 to sends and code checks while it is down or hung, and works again once it is back', async () => {
      const proxy = await redisProxy(new URL(redisUrl as string));
      closers.push(proxy.close);
      const t = await start(proxy.url);
      const to = phone();
      const first = await challenge(t, to);
      expect(first.status).toBe(200);
      const challengeId = first.body.challengeId as string;
      const code = await t.lastCode(to);

      await proxy.down();
      unavailable(await post(t, '/verify', { challengeId, verificationCode: code }));
      unavailable(await challenge(t, to));
      await proxy.up();
      proxy.hang();
      unavailable(await challenge(t, phone()));
      expect(await sent(t)).toBe(1); // nothing was sent, and the code was never compared:
      const { attempts } = await t.server.deps.db
        .selectFrom('challenges')
        .select('attempts')
        .where('id', '=', challengeId)
        .executeTakeFirstOrThrow();
      expect(attempts).toBe(0);

      await proxy.down(); // the hung connections are dropped; ioredis reconnects once Redis is back
      await proxy.up();
      let verified: { status: number; body: { isVerified?: boolean } } | undefined;
      for (const deadline = Date.now() + 15_000; Date.now() < deadline; ) {
        verified = await post(t, '/verify', { challengeId, verificationCode: code });
        if (verified.status !== 503) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(verified).toMatchObject({ status: 200, body: { isVerified: true } });
    });
  });
});

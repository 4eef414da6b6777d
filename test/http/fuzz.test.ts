import { VerificationMethod } from '@authsignal/node';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiptToken } from '../../src/modules/sms/receipt-url.js';
import { databases } from '../helpers/databases.js';
import {
  type Fixtures,
  forgedTokens,
  hostileRequest,
  RECEIPT_CONFIGS,
  type Route,
  receiptRequest,
  routesOf,
} from '../helpers/fuzz-requests.js';
import { hostileString, nested, nestedText, PROTOTYPE_NAMES } from '../helpers/hostile.js';
import { type ManagementClient, management } from '../helpers/management.js';
import {
  answerProblem,
  keepAlive,
  parseRawAnswer,
  type RawRequest,
  send,
  sendBytes,
  Unsendable,
} from '../helpers/raw-http.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * Hostile input never gets a 500 (issue 8). A property-based fuzzer sends generated requests to every
 * route that /openapi.json lists, with real keys and tokens on most of them so they reach the handlers,
 * and checks each answer: no status of 500 or above, every error body Sigil's. The explicit cases below
 * replay each cause of a 500 found before. Rerun a failure with the seed printed: SIGIL_FUZZ_SEED=<seed>.
 */
const SEED = Number(process.env.SIGIL_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.SIGIL_FUZZ_RUNS ?? 2500);

const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe.each(databases)('hostile input never gets a 500 ($name)', (db) => {
  let t: TestServer;
  let base: URL;
  let routes: Route[];
  let fx: Fixtures;
  let api: ManagementClient;
  const agent = keepAlive();

  /** Sends one request and returns what is wrong with its answer, if anything. */
  async function check(req: RawRequest): Promise<string | undefined> {
    const res = await send(base, agent, req);
    const problem = answerProblem(req.method, {
      status: res.status,
      contentType: res.headers['content-type'],
      body: res.body.toString('utf8'),
    });
    return problem && `${req.method} ${req.path.slice(0, 200)} → ${problem}`;
  }
  const expectNoProblem = async (req: RawRequest) => expect(await check(req)).toBeUndefined();
  const server = (extra: Partial<RawRequest> = {}): RawRequest => ({
    method: 'GET',
    path: '/v1/users/x',
    headers: { authorization: basic(`${t.tenant.apiSecretKey}:`), 'content-type': 'application/json' },
    ...extra,
  });
  const managed = (method: string, path: string, body?: unknown): RawRequest => ({
    method,
    path: `/v1/management${path}`,
    headers: { authorization: basic(`${t.tenant.managementSecretKey}:`), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });

  beforeAll(async () => {
    t = await startTestServer(db);
    base = new URL(t.server.url);
    api = management(t.apiUrl, t.tenant.managementSecretKey, '');
    const doc = (await (await fetch(`${t.server.url}/openapi.json`)).json()) as Parameters<typeof routesOf>[0];
    routes = routesOf(doc);

    // Things that exist, so that generated requests name them and get past "not found".
    const to = phone();
    const tracked = await t.sdk.track({ userId: 'fuzz-user', action: 'signIn', attributes: { phoneNumber: to } });
    const { challengeId } = await t.sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to });
    const enrolled = await t.sdk.enrollVerifiedAuthenticator({
      userId: 'fuzz-user',
      attributes: { verificationMethod: VerificationMethod.SMS, phoneNumber: to },
    });
    await management(t.apiUrl, t.tenant.managementSecretKey).createConfig('fuzzAction');
    const rule = await management(t.apiUrl, t.tenant.managementSecretKey).createRule('fuzzAction', {
      name: 'r',
      type: 'BLOCK',
      conditions: { '==': [{ var: 'custom.amount' }, 1] },
    });
    const client = await api.request<{ clientId?: string }>('POST', '/session-clients', { name: 'fuzz' });

    // A second tenant takes receipts from four vendors; the fuzzer never holds its management key.
    const { tenant: receiver } = await t.newTenant('receipts');
    await t.server.deps.smsProviders.replace(receiver.tenantId, { providers: RECEIPT_CONFIGS });
    const receipts = RECEIPT_CONFIGS.map((c) => ({
      type: c.type,
      tenantId: receiver.tenantId,
      token: receiptToken(t.server.deps.keyring, receiver.tenantId, c.type),
    }));

    fx = {
      tenantId: t.tenant.tenantId,
      serverKey: t.tenant.apiSecretKey,
      managementKey: t.tenant.managementSecretKey,
      clientToken: tracked.token,
      kid: JSON.parse(Buffer.from(tracked.token.split('.')[0] ?? '', 'base64url').toString()).kid,
      receipts,
      known: {
        userId: ['fuzz-user', 'user-1'],
        action: ['signIn'],
        actionCode: ['fuzzAction', 'signIn'],
        idempotencyKey: [tracked.idempotencyKey],
        challengeId: [challengeId],
        ruleId: [rule.ruleId],
        authenticatorId: [enrolled.authenticator?.userAuthenticatorId ?? 'x'],
        clientId: [client.body.clientId ?? 'x'],
        tenantId: [t.tenant.tenantId, receiver.tenantId],
        type: ['messagemedia', 'tnz', 'twilio', 'bird', 'dev', 'ALLOW', 'CHALLENGE'],
        token: [tracked.token, ...receipts.map((r) => r.token), ...forgedTokens(tracked.token)],
        accessToken: [tracked.token, ...forgedTokens(tracked.token)],
        refreshToken: forgedTokens(tracked.token),
        locale: ['fr', 'default', 'en-NZ'],
        phoneNumber: ['+6427000000', to],
        to: ['+6427000000', to],
        verificationMethod: ['SMS'],
        verificationCode: ['123456'],
        state: ['ALLOW', 'CHALLENGE_SUCCEEDED', 'BLOCK'],
        defaultUserActionResult: ['ALLOW', 'BLOCK'],
        limit: ['1', '20'],
        scope: ['add:authenticators'],
        text: ['Code {code}'],
        name: ['fuzz'],
        key: PROTOTYPE_NAMES,
        smsChannel: ['DEFAULT', 'SMS', 'WHATSAPP'],
        redirectUrl: ['https://app.example/done'],
        ipAddress: ['203.0.113.7'],
        userAgent: ['Mozilla/5.0'],
        deviceId: ['device-1'],
        email: ['a@example.com'],
        username: ['alice'],
        displayName: ['Alice'],
        clientIds: [client.body.clientId ?? 'x'],
        codes: ['signIn'],
        fromDate: ['2026-01-01T00:00:00Z'],
      },
    };
  });
  afterAll(async () => {
    agent.destroy();
    await t?.close();
  });

  it(`answers ${RUNS} generated requests to every listed route without a 500 (seed ${SEED})`, async () => {
    expect(routes.length).toBeGreaterThan(50);
    const problems: string[] = [];
    const statuses = new Map<number, number>();
    const byRoute: Record<string, Record<number, number>> = {};
    let unsendable = 0;
    await fc.assert(
      fc.asyncProperty(hostileRequest(routes, fx), async (req) => {
        // Problems are collected, not thrown: one run reports every failing request, not just the first.
        try {
          const res = await send(base, agent, req);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          const seen = byRoute[req.route ?? ''] ?? {};
          seen[res.status] = (seen[res.status] ?? 0) + 1;
          byRoute[req.route ?? ''] = seen;
          const body = res.body.toString('utf8');
          const problem = answerProblem(req.method, {
            status: res.status,
            contentType: res.headers['content-type'],
            body,
          });
          if (problem) problems.push(`${replay(req)} → ${problem}`);
        } catch (err) {
          if (err instanceof Unsendable) unsendable++;
          else problems.push(`${replay(req)} → no answer: ${String(err)}`);
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
    if (process.env.SIGIL_FUZZ_VERBOSE) console.log(db.name, statuses, JSON.stringify(byRoute).replace(/\},/g, '},\n'));
    const summary = `seed ${SEED} (rerun with SIGIL_FUZZ_SEED=${SEED}): ${problems.length} problems; statuses ${JSON.stringify(Object.fromEntries(statuses))}`;
    expect(problems.slice(0, 30), summary).toEqual([]);
    // Most requests must get past authentication, or the fuzzer tests nothing but the key check.
    const refused = statuses.get(401) ?? 0;
    expect(refused, summary).toBeLessThan(RUNS * 0.5);
    expect(unsendable, summary).toBeLessThan(RUNS * 0.05);
  }, 180_000);

  it('looks provider types up by own key: constructor, toString and __proto__ are unknown types', async () => {
    for (const type of PROTOTYPE_NAMES) {
      for (const req of [
        managed('PUT', '/sms-providers', { providers: [{ type }] }),
        managed('POST', '/sms-providers/test', { phoneNumber: '+6427000000', provider: { type } }),
      ]) {
        const res = await send(base, agent, req);
        expect(res.status, `${req.path} ${type}`).toBe(400);
        expect(JSON.parse(res.body.toString()).errorDescription).toMatch(/type must be one of/);
      }
    }
  });

  it('reads a receipt status of valueOf or __proto__ as no status, from every vendor', async () => {
    for (const { type, tenantId, token } of fx.receipts) {
      const path = `/v1/sms-receipts/${type}/${tenantId}/${token}`;
      for (const status of [...PROTOTYPE_NAMES, 'delivered']) {
        const req = receiptRequest(type, `${t.server.url}${path}`, status);
        const res = await send(base, agent, { ...req, path });
        expect(res.status, `${type} ${status}: ${res.body}`).toBe(200);
        const stored = JSON.parse(res.body.toString());
        expect(stored.received, `${type} ${status}`).toBe(status === 'delivered' ? 1 : 0);
      }
    }
  });

  it('stores receipt texts without NUL, which PostgreSQL refuses', async () => {
    const { tenantId, token } = fx.receipts.find((r) => r.type === 'messagemedia') ?? missing();
    const body = JSON.stringify({
      message_id: 'm\u0000id',
      status: 'failed',
      error_code: 'e\u0000',
      delivery_report_id: 'r\u0000',
    });
    const res = await send(base, agent, {
      method: 'POST',
      path: `/v1/sms-receipts/messagemedia/${tenantId}/${token}`,
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(res.status, res.body.toString()).toBe(200);
    expect(JSON.parse(res.body.toString())).toEqual({ received: 1, stored: 1 });
  });

  it('refuses rule conditions nested 3,000 deep, and compiles or refuses them at the deepest allowed', async () => {
    // Its own configuration: the fuzzer may have deleted any other.
    await management(t.apiUrl, t.tenant.managementSecretKey).createConfig('deepRules');
    const rules = '/action-configurations/deepRules/rules';
    const deep = `{"name":"deep","type":"BLOCK","conditions":${nestedText(3000, 'array')}}`;
    const res = await send(base, agent, managed('POST', rules, deep));
    expect(res.status).toBe(400);
    for (let depth = 1; depth <= 15; depth += 7) {
      const conditions = nested(depth, { '==': [{ var: 'custom.amount' }, 1] }, 'and');
      await expectNoProblem(managed('POST', rules, { name: 'd', type: 'BLOCK', conditions }));
    }
    for (const op of PROTOTYPE_NAMES.filter((n) => n !== '__proto__')) {
      const body = `{"name":"p","type":"BLOCK","conditions":{"${op}":["a",1]}}`;
      const bad = await send(base, agent, managed('POST', rules, body));
      expect(bad.status, op).toBe(400);
    }
  });

  it('refuses an undeclared member nested 5,000 deep on track', async () => {
    const body = `{"redirectUrl":"https://a.example","extra":${nestedText(5000)}}`;
    const res = await send(base, agent, server({ method: 'POST', path: '/v1/users/fuzz-user/actions/signIn', body }));
    expect(res.status).toBe(400);
  });

  it('refuses a JWT whose kid is no string, or holds NUL, before any lookup', async () => {
    const payload = fx.clientToken.split('.')[1];
    for (const kid of [{ $ne: null }, true, 7, [], null, 'a\u0000b', '\u0000', 'x'.repeat(300)]) {
      const token = `${b64url({ alg: 'ES256', kid, typ: 'JWT' })}.${payload}.AAAA`;
      const validate = await send(
        base,
        agent,
        server({ method: 'POST', path: '/v1/validate', body: JSON.stringify({ token }) }),
      );
      expect(validate.status, JSON.stringify(kid)).toBeLessThan(500);
      const client = await send(base, agent, {
        method: 'POST',
        path: '/v1/client/challenge/sms',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(client.status, JSON.stringify(kid)).toBe(401);
    }
  });

  it('refuses NUL in every path parameter, query value, body string and Basic credential', async () => {
    for (const route of routes) {
      if (route.params.length === 0) continue;
      const path = route.path.replace(/\{[^}]+\}/g, '%00');
      const auth = route.path.startsWith('/v1/management') ? fx.managementKey : fx.serverKey;
      await expectNoProblem({ method: route.method, path, headers: { authorization: basic(`${auth}:`) } });
      await expectNoProblem({ method: route.method, path, headers: { authorization: `Bearer ${fx.clientToken}` } });
    }
    await expectNoProblem(server({ path: '/v1/users?email=a%00b' }));
    await expectNoProblem(managed('GET', '/dev/inbox?to=%2B64%00'));
    await expectNoProblem(
      server({
        method: 'POST',
        path: '/v1/challenge',
        body: '{"verificationMethod":"SMS","action":"a\\u0000","phoneNumber":"+6427000000"}',
      }),
    );
    for (const credential of ['a\u0000b', `${fx.tenantId}\u0000`, `${fx.serverKey}\u0000:`, '\u0001']) {
      for (const path of ['/v1/users/x', '/v1/management/sms-providers', '/v1/client/user-authenticators']) {
        const res = await send(base, agent, { method: 'GET', path, headers: { authorization: basic(credential) } });
        expect(res.status, `${path} ${JSON.stringify(credential)}`).toBe(401);
      }
    }
  });

  it("answers HTTP-level errors with Sigil's body: long URL (431, no body to HEAD), no leading slash, bad bytes", async () => {
    const long = `/healthz?${'a'.repeat(70_000)}`;
    for (const [bytes, status, hasBody] of [
      [`GET ${long} HTTP/1.1\r\nHost: x\r\n\r\n`, 431, true],
      [`HEAD ${long} HTTP/1.1\r\nHost: x\r\n\r\n`, 431, false],
      ['GET v1/healthz HTTP/1.1\r\nHost: x\r\n\r\n', 400, true],
      ['GET /\xe9 HTTP/1.1\r\nHost: x\r\n\r\n', 400, true],
      ['GARBAGE\r\n\r\n', 400, true],
      ['GET /healthz HTTP/1.1\r\nHost: x\r\nX: a\u0000\r\n\r\n', 400, true],
    ] as const) {
      const answer = parseRawAnswer(await sendBytes(base, Buffer.from(bytes, 'latin1')));
      expect(answer.status, bytes.slice(0, 30)).toBe(status);
      expect(answer.headers['content-type']).toBe('application/json');
      if (hasBody)
        expect(JSON.parse(answer.body)).toMatchObject({ error: 'invalid_request', errorCode: 'invalid_request' });
      else expect(answer.body).toBe('');
    }
    for (const target of ['*', 'http://x/v1/users/x', '/v1/users/%zz', `/v1/users/${'a'.repeat(600)}`]) {
      const answer = parseRawAnswer(
        await sendBytes(base, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
      );
      expect(answer.status, target).toBeGreaterThanOrEqual(400);
      expect(answer.status, target).toBeLessThan(500);
      expect(answer.headers['content-type'], target).toBe('application/json');
      expect(JSON.parse(answer.body), target).toMatchObject({
        errorCode: expect.any(String),
        errorDescription: expect.any(String),
      });
    }
    await expectNoProblem({
      method: 'OPTIONS',
      path: '/v1/client/challenge/sms',
      headers: { 'access-control-request-method': 'POST' },
    });
  });

  it('answers an empty key set for a tenant that does not exist, whatever its ID', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostileString, fc.uuid()), async (tenantId) => {
        if (tenantId.includes('\u0000') || tenantId.length > 512) return;
        let path: string;
        try {
          path = `/v1/client/public/${encodeURIComponent(tenantId)}/.well-known/jwks`;
        } catch {
          return; // a lone surrogate has no percent-encoding
        }
        const res = await send(base, agent, { method: 'GET', path, headers: {} });
        expect(res.status, tenantId).toBe(200);
        expect(JSON.parse(res.body.toString()), tenantId).toEqual({ keys: [] });
      }),
      { seed: SEED, numRuns: 100 },
    );
    // The empty tenant ID: the router folds `public//.well-known` into another path.
    const empty = await send(base, agent, { method: 'GET', path: '/v1/client/public//.well-known/jwks', headers: {} });
    expect(empty.status).toBe(200);
    expect(JSON.parse(empty.body.toString())).toEqual({ keys: [] });
  });

  it('still serves a normal sign-in afterwards', async () => {
    const { sdk } = await t.newTenant('after');
    const to = phone();
    const { challengeId } = await sdk.challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to });
    expect(await sdk.verify({ challengeId, verificationCode: await t.lastCode(to) })).toMatchObject({
      isVerified: true,
    });
  });
});

/** Enough of a request to replay it: method, path, headers and the start of its body. */
const replay = (req: RawRequest) =>
  `${req.method} ${req.path.slice(0, 300)} ${JSON.stringify(req.headers)} ${String(req.body ?? '').slice(0, 300)}`;

const missing = (): never => {
  throw new Error('fixture missing');
};

import fc from 'fast-check';
import { birdSignature } from '../../src/modules/sms/providers/bird.js';
import { twilioSignature } from '../../src/modules/sms/providers/twilio.js';
import { hostileString, hostileValue, jsonLogic, nestedText, PROTOTYPE_NAMES, withKey } from './hostile.js';
import type { RawRequest } from './raw-http.js';

/** One operation of /openapi.json, as the fuzzer needs it. */
export interface Route {
  method: string;
  /** OpenAPI form: `/v1/users/{userId}`. */
  path: string;
  params: string[];
  query: string[];
  body?: Schema;
}

type Schema = { type?: string | string[]; properties?: Record<string, Schema>; items?: Schema; anyOf?: Schema[] };

/** Every operation that the running server lists in /openapi.json: the fuzzer's target list cannot go stale. */
export function routesOf(doc: { paths: Record<string, Record<string, unknown>> }): Route[] {
  return Object.entries(doc.paths).flatMap(([path, operations]) =>
    Object.entries(operations).map(([method, op]) => {
      const o = op as {
        parameters?: { in: string; name: string }[];
        requestBody?: { content?: Record<string, { schema?: Schema }> };
      };
      return {
        method: method.toUpperCase(),
        path,
        params: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string),
        query: (o.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        body: o.requestBody?.content?.['application/json']?.schema,
      };
    }),
  );
}

/** What the fuzzer knows of the server: keys, a token, and IDs of things that exist, so requests get deep. */
export interface Fixtures {
  tenantId: string;
  serverKey: string;
  managementKey: string;
  clientToken: string;
  kid: string;
  /** Names of things that exist (userId, challengeId, actionCode, ...), for parameters and members of that name. */
  known: Record<string, string[]>;
  /** A tenant whose MessageMedia, TNZ, Twilio and Bird configs accept receipts: its type, tenant and token. */
  receipts: { type: string; tenantId: string; token: string }[];
  /** How often a part is hostile: 0 makes plausible requests that reach handlers, 3 makes wild ones. */
  hostility?: number;
}

const basic = (s: string) => `Basic ${Buffer.from(s, 'utf8').toString('base64')}`;
const b64url = (v: unknown) => Buffer.from(JSON.stringify(v) ?? 'null').toString('base64url');

/** JWTs whose header is hostile: a kid that is an object, a boolean, a number, NUL or too long. */
export function forgedTokens(real: string): string[] {
  const payload = real.split('.')[1] ?? '';
  const kids = [{ $ne: null }, true, 7, [], null, 'a\u0000b', '\u0000', 'x'.repeat(300), '__proto__', 'constructor'];
  return kids.map((kid) => `${b64url({ alg: 'ES256', kid, typ: 'JWT' })}.${payload}.AAAA`);
}

/** Authorization headers that are not credentials: bad Basic, and JWTs whose header is hostile. */
function hostileAuth(fx: Fixtures): fc.Arbitrary<string | undefined> {
  const payload = fx.clientToken.split('.')[1] ?? '';
  const kid = fc.oneof(
    fc.constantFrom<unknown>({ $ne: null }, true, 123, [], null, 'a\u0000b', '', 'x'.repeat(200), fx.kid),
    hostileString,
  );
  const jwt = fc
    .tuple(kid, fc.constantFrom('ES256', 'none', 'HS256', 'RS256'), fc.boolean(), fc.base64String({ maxLength: 90 }))
    .map(
      ([k, alg, real, sig]) => `Bearer ${b64url({ alg, kid: k, typ: 'JWT' })}.${real ? payload : b64url({})}.${sig}`,
    );
  return fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...forgedTokens(fx.clientToken)).map((token) => `Bearer ${token}`) },
    jwt,
    hostileString.map(basic),
    hostileString.map((s) => basic(`${s}:`)),
    fc
      .constantFrom('a\u0000b:', `${fx.tenantId}\u0000`, `${fx.serverKey}\u0000:`, '\u0001:', 'x'.repeat(3000))
      .map(basic),
    fc.constantFrom(
      'Basic',
      'Basic !!!',
      'Bearer',
      'Bearer null',
      `Bearer ${fx.clientToken}x`,
      'Digest a=b',
      'Basic ==',
    ),
    hostileString.map((s) => `Bearer ${s}`),
    fc.constant(undefined),
  );
}

/** A good share of requests carry the credential that the route takes, so they reach its handler. */
function authFor(route: Route, fx: Fixtures): fc.Arbitrary<string | undefined> {
  const server = basic(`${fx.serverKey}:`);
  const management = basic(`${fx.managementKey}:`);
  const good = route.path.startsWith('/v1/management')
    ? fc.constant(management)
    : route.path.startsWith('/v1/client')
      ? fc.oneof(
          { weight: 4, arbitrary: fc.constant(`Bearer ${fx.clientToken}`) },
          fc.constant(basic(fx.tenantId)),
          fc.constant(`Basic ${Buffer.from(`${fx.tenantId}:`).toString('base64url')}`),
        )
      : route.path.startsWith('/v1/sms-receipts') || !route.path.startsWith('/v1/')
        ? fc.constant(undefined)
        : fc.constant(server);
  return fc.oneof(
    { weight: 7, arbitrary: good },
    { weight: 1, arbitrary: fc.constantFrom(server, management, undefined) },
    { weight: 2, arbitrary: hostileAuth(fx) },
  );
}

/** A value for something called `name`: a real one or a plausible one, or a hostile one. */
function named(name: string, fx: Fixtures): fc.Arbitrary<string> {
  const real = fx.known[name];
  return fc.oneof(
    { weight: real ? 3 : 0, arbitrary: fc.constantFrom(...(real ?? ['x'])) },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
    { weight: fx.hostility ?? 3, arbitrary: hostileString },
  );
}

/** Percent-encoded mostly; sometimes as it is, when node will send it (percent signs and all). */
function inUrl(value: string, raw: boolean): string {
  if (raw && /^[\x21-\xff]*$/.test(value)) return value;
  try {
    return encodeURIComponent(value);
  } catch {
    return '%ED%A0%80'; // a lone surrogate: its UTF-8 form is invalid, as the server must find
  }
}

/** A value that fits the member's schema (as far as it knows), or a hostile one in its place. */
function forSchema(schema: Schema | undefined, name: string, fx: Fixtures, depth: number): fc.Arbitrary<unknown> {
  const hostile = Math.min(fx.hostility ?? 1, 1);
  return fc.oneof(
    { weight: 3, arbitrary: fitting(schema, name, fx, depth) },
    { weight: hostile, arbitrary: hostileValue },
  );
}

function fitting(schema: Schema | undefined, name: string, fx: Fixtures, depth: number): fc.Arbitrary<unknown> {
  if (name === 'conditions') return jsonLogic;
  if (name === 'provider' || name === 'providers') return providerConfigs(name);
  if (!schema || depth > 4) return hostileValue;
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s) => fitting(s, name, fx, depth + 1)));
  const types = [schema.type].flat();
  if (types.includes('object') && schema.properties) return objectFor(schema, fx, depth);
  if (types.includes('object')) return fc.dictionary(named('key', fx), hostileValue, { maxKeys: 3 });
  if (types.includes('array')) return fc.array(fitting(schema.items, name, fx, depth + 1), { maxLength: 4 });
  if (types.includes('string')) return named(name, fx);
  if (types.includes('integer')) return fc.integer({ min: -2, max: 700 });
  if (types.includes('number')) return fc.double({ noNaN: true, noDefaultInfinity: true });
  if (types.includes('boolean')) return fc.boolean();
  return hostileValue;
}

function objectFor(schema: Schema, fx: Fixtures, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const members = Object.entries(schema.properties ?? {}).map(([k, s]) => [k, forSchema(s, k, fx, depth + 1)] as const);
  const declared = fc.record(Object.fromEntries(members), { requiredKeys: [] }) as fc.Arbitrary<
    Record<string, unknown>
  >;
  // Undeclared members, prototype names among them: they must be stripped, or refused, never used.
  const extra = fc.array(fc.tuple(fc.constantFrom(...PROTOTYPE_NAMES, 'authenticatorId', 'tenantId'), hostileValue), {
    maxLength: 2,
  });
  return fc.tuple(declared, extra).map(([obj, more]) => more.reduce((o, [k, v]) => withKey(k, v, o), obj));
}

/** SMS provider configs: real types, prototype names as types, and members of any kind. */
function providerConfigs(name: string): fc.Arbitrary<unknown> {
  const type = fc.oneof(
    fc.constantFrom('dev', 'twilio', 'bird', 'messagemedia', 'tnz', 'modica', 'webhook'),
    fc.constantFrom(...PROTOTYPE_NAMES),
    hostileString,
  );
  const config = fc
    .tuple(type, fc.dictionary(fc.constantFrom('accountSid', 'apiKey', 'url', 'baseUrl', 'from'), hostileString))
    .map(([t, rest]) => ({ ...rest, type: t }));
  // An empty list is valid and leaves the tenant without SMS: rare, so that sign-ins keep reaching a provider.
  return name === 'providers'
    ? fc.oneof(
        { weight: 1, arbitrary: fc.constant([]) },
        { weight: 9, arbitrary: fc.array(config, { minLength: 1, maxLength: 3 }) },
      )
    : fc.oneof(fc.integer({ min: -1, max: 3 }), config, hostileValue);
}

const STATUS_WORDS = fc.oneof(
  fc.constantFrom(...PROTOTYPE_NAMES, 'delivered', 'DELIVERED', 'failed', 'sent', 'credithold', 'Success', 'rejected'),
  hostileString,
);

type Body = { type?: string; text?: string };

/** Delivery receipts in each vendor's shape, with status words such as `valueOf` and ids holding NUL. */
const RECEIPT_BODIES: Record<string, fc.Arbitrary<Body>> = {
  messagemedia: fc
    .record({ message_id: hostileString, status: STATUS_WORDS, error_code: hostileValue })
    .map((r) => ({ type: 'application/json', text: JSON.stringify(r) })),
  tnz: fc
    .record({ MessageID: hostileString, Status: STATUS_WORDS, Result: STATUS_WORDS, ErrorCode: hostileValue })
    .map((r) => ({ type: 'application/json', text: JSON.stringify(r) }))
    .chain((b) => fc.constantFrom(b, { ...b, text: `{"MessageID":"m","Recipients":[${b.text}]}` })),
  bird: fc
    .record({ id: hostileString, status: STATUS_WORDS })
    .map((p) => ({ type: 'application/json', text: JSON.stringify({ event: 'sms.outbound', payload: p }) })),
  twilio: fc.tuple(hostileString, STATUS_WORDS).map(([sid, s]) => ({
    type: 'application/x-www-form-urlencoded',
    text: new URLSearchParams({ MessageSid: sid, MessageStatus: s }).toString(),
  })),
};
const receiptBody = fc.oneof(...Object.values(RECEIPT_BODIES));

const CONTENT_TYPES = [
  'application/json; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/json; charset=utf-16',
  'multipart/form-data; boundary=x',
  'APPLICATION/JSON',
  'application/merge-patch+json',
  'application/json;;',
];

/** A body: JSON that fits the route's schema more or less, or text that is hostile as a whole. */
function bodyFor(route: Route, fx: Fixtures): fc.Arbitrary<Body> {
  const json = (v: unknown) => ({ type: 'application/json', text: JSON.stringify(v) ?? 'null' });
  const hostileText = fc.oneof(
    hostileValue.map(json),
    fc
      .constantFrom(33, 200, 3000, 10_000)
      .chain((d) =>
        fc
          .constantFrom<'object' | 'array'>('object', 'array')
          .map((k) => ({ type: 'application/json', text: nestedText(d, k) })),
      ),
    fc
      .constantFrom('{', '{"a":}', 'nul', '\u0000', '\ufeff{}', '[]', '"x"', '{"__proto__":{"x":1}}', '{"a":1,"a":2}')
      .map((text) => ({ type: 'application/json', text })),
    fc.constantFrom(70_000, 2_000_000).map((n) => json({ a: 'x'.repeat(n) })),
    fc
      .tuple(fc.constantFrom(...CONTENT_TYPES), fc.constantFrom('', 'a=b', '{}', 'x'.repeat(100)))
      .map(([type, text]) => ({ type, text })),
    fc.constant({}),
  );
  // The receipt route's body is a vendor's, not JSON of a schema: receipts in each vendor's shape fit it.
  const fitted = route.body
    ? forSchema(route.body, 'body', fx, 0).map(json)
    : route.path.startsWith('/v1/sms-receipts')
      ? receiptBody
      : hostileText;
  const receipt = route.path.startsWith('/v1/sms-receipts') ? receiptBody : hostileText;
  return fc.oneof(
    { weight: 6, arbitrary: fitted },
    { weight: fx.hostility === 0 ? 0 : 2, arbitrary: hostileText },
    { weight: 2, arbitrary: receipt },
  );
}

const OTHER_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'PROPFIND'];

/** One generated request to one of `routes`, with hostile parts in any place. */
export function hostileRequest(routes: Route[], fixtures: Fixtures): fc.Arbitrary<RawRequest> {
  // Receipts are the one route anyone can call without a key (MessageMedia's and TNZ's are unsigned).
  const weighted = routes.map((r) => ({
    weight: r.path.startsWith('/v1/sms-receipts') ? 5 : 1,
    arbitrary: fc.constant(r),
  }));
  return fc.tuple(fc.oneof(...weighted), fc.constantFrom(0, 1, 1, 3)).chain(([route, hostility]) => {
    const fx = { ...fixtures, hostility };
    const generic = fc.tuple(fc.tuple(...route.params.map((p) => named(p, fx))), bodyFor(route, fx));
    // A receipt to a real receipt URL, in the shape of that URL's vendor.
    const receipt = fc
      .constantFrom(...fx.receipts)
      .chain((r) =>
        (RECEIPT_BODIES[r.type] ?? receiptBody).map((b): [string[], Body] => [[r.type, r.tenantId, r.token], b]),
      );
    const paramsAndBody = route.path.startsWith('/v1/sms-receipts')
      ? fc.oneof({ weight: 3, arbitrary: receipt }, { weight: 1, arbitrary: generic })
      : generic;
    const declaredPair = fc
      .constantFrom(...route.query, 'x')
      .chain((k) => named(k, fx).map((v) => [k, v] as [string, string]));
    const queryPair = fc.tuple(
      fc.oneof(fc.constantFrom(...route.query, 'limit'), fc.constantFrom(...PROTOTYPE_NAMES, 'a[b]')),
      hostileString,
    );
    return fc
      .record({
        method: fc.oneof(
          { weight: 9, arbitrary: fc.constant(route.method) },
          { weight: 1, arbitrary: fc.constantFrom(...OTHER_METHODS) },
        ),
        paramsAndBody,
        raw: fc.array(fc.boolean(), { minLength: route.params.length, maxLength: route.params.length }),
        query: fc.array(fc.oneof({ weight: 3, arbitrary: declaredPair }, queryPair), {
          maxLength: route.query.length > 0 ? 4 : 1,
        }),
        auth: authFor(route, fx),
        origin: fc.option(fc.constantFrom('https://app.example', 'null', 'x'), { nil: undefined }),
      })
      .map(({ method, paramsAndBody: [values, body], raw, query, auth, origin }) => {
        let i = 0;
        const path = route.path.replace(/\{[^}]+\}/g, () => {
          const value = values[i] ?? '';
          return inUrl(value, raw[i++] ?? false);
        });
        const search = query.map(([k, v]) => `${inUrl(k, false)}=${inUrl(v, raw[0] ?? false)}`).join('&');
        const headers: Record<string, string> = {};
        if (auth !== undefined) headers.authorization = auth;
        if (body.type) headers['content-type'] = body.type;
        if (origin) headers.origin = origin;
        if (method === 'OPTIONS' && origin) headers['access-control-request-method'] = route.method;
        const sendsBody = method !== 'GET' && method !== 'HEAD' && body.text !== undefined;
        return {
          method,
          path: search ? `${path}?${search}` : path,
          headers,
          route: `${route.method} ${route.path}`,
          ...(sendsBody ? { body: body.text } : {}),
        };
      });
  });
}

/** Configs whose receipts the second tenant takes; the secrets sign the Twilio and Bird callbacks here. */
const TWILIO_TOKEN = 'twilioAuthToken0123456789abcdef0';
const BIRD_KEY = 'bird-signing-key';
export const RECEIPT_CONFIGS = [
  { type: 'messagemedia', apiKey: 'mmKey', apiSecret: 'mmSecret' },
  { type: 'tnz', apiKey: 'tnzAuthToken0123456789' },
  { type: 'twilio', accountSid: `AC${'0'.repeat(32)}`, authToken: TWILIO_TOKEN, from: '+15005550006' },
  {
    type: 'bird',
    accessKey: 'birdKey',
    workspaceId: '00000000-0000-4000-8000-000000000001',
    channelId: '00000000-0000-4000-8000-000000000002',
    signingKey: BIRD_KEY,
  },
];

/** A receipt from `type` with the given status word, signed where the vendor signs. */
export function receiptRequest(type: string, url: string, status: string): Omit<RawRequest, 'path'> {
  if (type === 'twilio') {
    const params = new URLSearchParams({ MessageSid: 'SM1', MessageStatus: status });
    const signature = twilioSignature(TWILIO_TOKEN, url, params);
    return {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      body: params.toString(),
    };
  }
  const body =
    type === 'bird'
      ? JSON.stringify({ event: 'sms.outbound', payload: { id: 'b1', status } })
      : type === 'tnz'
        ? JSON.stringify({ MessageID: 't1', Status: status })
        : JSON.stringify({ message_id: 'm1', status });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (type === 'bird') {
    const ts = Math.floor(Date.now() / 1000);
    headers['messagebird-signature'] = birdSignature(BIRD_KEY, ts, url, body);
    headers['messagebird-request-timestamp'] = String(ts);
  }
  return { method: 'POST', headers, body };
}

import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, type ErrorCode, errorBody, errorCatalogue } from '../errors.js';
import type { TenantService } from '../modules/tenants/service.js';
import { requireApiKey } from './auth.js';
import type { OperatorAuthenticator } from './management-auth.js';

/** The codes of the 4xx statuses that Fastify's own errors carry; a Map, like every table keyed from outside. */
const STATUS_CODES = new Map<number, ErrorCode>([
  [400, 'invalid_request'],
  [401, 'unauthorized'],
  [403, 'forbidden'],
  [404, 'not_found'],
  [405, 'method_not_allowed'],
  [413, 'payload_too_large'],
  [415, 'unsupported_media_type'],
  [429, 'too_many_requests'],
]);

/**
 * Every error leaves as `{error, errorCode, errorDescription}`. Client mistakes (bad JSON, schema
 * violations, oversized bodies) keep their 4xx status; anything unexpected is logged and becomes a
 * 500 that reveals nothing.
 */
export function installErrorHandling(
  app: FastifyInstance,
  tenants: TenantService,
  operators?: OperatorAuthenticator,
): void {
  app.setErrorHandler((err: FastifyError | ApiError, request, reply) => {
    if (err instanceof ApiError) {
      // pino's err serializer appends `err.cause` to the message and stack ("caused by: …"): the log
      // of a 5xx shows the error it was translated from.
      if (err.status >= 500) request.log.error({ err }, 'request failed');
      if (err.retryAfterSeconds !== undefined) reply.header('retry-after', String(err.retryAfterSeconds));
      return reply.code(err.status).type('application/json').send(err.toBody());
    }
    if (err.validation) {
      const description = err.validation
        .map(
          (v) => `${err.validationContext ?? 'body'}${v.instancePath.replace(/\//g, '.')} ${v.message ?? 'is invalid'}`,
        )
        .join('; ');
      return reply.code(400).type('application/json').send(errorBody('invalid_request', description));
    }
    const status = err.statusCode ?? 500;
    const code = STATUS_CODES.get(status);
    if (status >= 400 && status < 500 && code) {
      return reply
        .code(status)
        .type('application/json')
        .send(errorBody(code, clientMessage(err)));
    }
    request.log.error({ err }, 'unhandled error');
    return reply
      .code(500)
      .type('application/json')
      .send(errorBody('internal_error', errorCatalogue.internal_error.message));
  });

  // A wrong key is a 401 before a missing route is a 404: the Go SDK's own suite checks it, and a caller
  // without a key must not learn which routes exist. Checked at onRequest, before the body is parsed:
  // a 400 or 415 for the body of an unknown path would tell as much as a 404.
  const keyFor = keyCheckOfUnknownPaths(tenants, operators);
  app.addHook('onRequest', (request, reply, done) => {
    // Every request passes here; only those the router did not match wait for a key lookup.
    const check = request.is404 ? keyFor(request) : undefined;
    if (!check) return done();
    check(request, reply).then(() => done(), done);
  });
  app.setNotFoundHandler(async (request, reply) => {
    return reply
      .code(404)
      .type('application/json')
      .send(errorBody('not_found', `No route for ${request.method} ${request.url.split('?')[0]}`));
  });
}

/** Errors the router raises before any handler runs: bad percent-encoding, over-long parameters. */
export function frameworkError(err: FastifyError, _req: unknown, reply: FastifyReply): void {
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400;
  const description =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path parameter is too long.' : 'The URL is malformed.';
  // The app's onSend hook, which drops the charset, does not run for these replies, and Fastify adds
  // one to any JSON text: a Buffer keeps the exact type that the Python SDK needs.
  reply
    .code(status)
    .header('content-type', 'application/json')
    .send(Buffer.from(JSON.stringify(errorBody('invalid_request', description))));
}

/** The parser's refusals that have a status of their own; every other one is a 400. */
const CLIENT_ERRORS = new Map<string, [number, string, string]>([
  ['HPE_HEADER_OVERFLOW', [431, 'Request Header Fields Too Large', 'The URL or the headers are too long.']],
  ['ERR_HTTP_REQUEST_TIMEOUT', [408, 'Request Timeout', 'The request did not arrive in time.']],
]);

/**
 * Requests that Node's HTTP parser refuses before Fastify sees them (a request target without a
 * leading slash, a URL or headers over the size limit, bytes that are not HTTP): answered with Sigil's
 * error body, like every other error, then the connection is closed, as Node does. A HEAD request
 * gets no body.
 */
export function clientError(err: NodeJS.ErrnoException & { rawPacket?: unknown }, socket: Duplex): void {
  // A reset connection has no one left to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, reason, description] = CLIENT_ERRORS.get(err.code ?? '') ?? [
    400,
    'Bad Request',
    'The request is not valid HTTP.',
  ];
  const body = JSON.stringify(errorBody('invalid_request', description));
  // The packet that failed to parse: when it starts the request, it says whether that was a HEAD.
  const head = Buffer.isBuffer(err.rawPacket) && err.rawPacket.subarray(0, 5).toString('latin1') === 'HEAD ';
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${head ? '' : body}`,
    );
  }
  socket.destroy(err);
}

/**
 * The request target in origin form. A proxy-style absolute URL (`GET http://host/v1/users`) is served
 * as its path and query, so that key checks, logs and receipt signatures all see the same path.
 */
export function originForm(url: string): string {
  if (url.startsWith('/')) return url;
  try {
    const parsed = new URL(url);
    return `${parsed.pathname}${parsed.search}`;
  } catch {
    return url;
  }
}

/**
 * The key check that a path would have had if a route served it: the management key (or a signed-in
 * portal session) under /v1/management, the server key elsewhere under /v1. The Client API, SMS
 * receipts and the portal's session routes authenticate otherwise, and paths outside /v1 need no key.
 */
function keyCheckOfUnknownPaths(tenants: TenantService, operators: OperatorAuthenticator | undefined) {
  const server = requireApiKey(tenants, 'server');
  const managementKey = requireApiKey(tenants, 'management');
  const management = async (request: FastifyRequest, reply: FastifyReply) => {
    if (!request.headers.authorization && operators && (await operators.signedIn(request))) return;
    await managementKey(request, reply);
  };
  return (request: FastifyRequest) => {
    const path = decodedPath(request.url);
    if (!/^\/v1(\/|$)/.test(path) || /^\/v1\/(client|sms-receipts|portal)(\/|$)/.test(path)) return undefined;
    return /^\/v1\/management(\/|$)/.test(path) ? management : server;
  };
}

/** The path as the router reads it: without the query, percent-decoded, duplicate slashes collapsed. */
function decodedPath(url: string): string {
  const raw = url.split('?')[0] ?? '';
  let path = raw;
  try {
    path = decodeURIComponent(raw);
  } catch {
    // Bad percent-encoding: judged as sent.
  }
  return path.replace(/\/{2,}/g, '/');
}

function clientMessage(err: FastifyError): string {
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'The request body is not valid JSON.';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'The request body is too large.';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'Send the request body as application/json.';
    default:
      return err.message;
  }
}

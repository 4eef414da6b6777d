import type { FastifyInstance, FastifyRequest } from 'fastify';
import { clearableMembers } from './contract.js';

/** Deeper bodies are refused before parsing: validators, rules and serialisers recurse. */
export const MAX_JSON_DEPTH = 32;

/**
 * Request bodies. Every API takes JSON, parsed with Fastify's prototype-poisoning protection, and:
 * - an empty body is `{}` whatever its Content-Type or its absence: the browser SDK labels body-less
 *   POSTs `application/json`, iOS sends no Content-Type at all, and Android's HttpURLConnection labels
 *   the same empty POST `application/x-www-form-urlencoded` (docs/compatibility.md);
 * - a non-empty body that is not labelled JSON is a 415;
 * - nesting deeper than MAX_JSON_DEPTH is a 400;
 * - `null` members are dropped, because null means absent (the Go SDK sends unset fields as null),
 *   except top-level members that the route's body schema declares `Clearable` (null clears them);
 *   a body of `null` is an absent body (older Go SDKs send it for a track without attributes).
 */
export function installJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, {});
    if (depthExceeds(text, MAX_JSON_DEPTH)) {
      return done(clientError(400, 'SIGIL_JSON_TOO_DEEP', `The body nests deeper than ${MAX_JSON_DEPTH}.`));
    }
    parse(request, text, (err, value) => {
      if (err) return done(clientError(400, 'SIGIL_INVALID_JSON', 'The request body is not valid JSON.'));
      done(null, value === null ? {} : withoutNulls(value, clearable(request)));
    });
  });
  // Any other type, or none: only an empty body is accepted, as `{}`.
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
    if (body.length === 0) return done(null, {});
    done(clientError(415, 'SIGIL_UNSUPPORTED_MEDIA_TYPE', 'Send the request body as application/json.'));
  });
  // A POST with neither Content-Type nor length never reaches a parser (iOS's body-less challenge).
  // A callback hook, not an async one: it runs on every request, and needs no promise.
  app.addHook('preValidation', (request, _reply, done) => {
    if (request.body === undefined && request.routeOptions.schema?.body) request.body = {};
    done();
  });
}

/** Per route, once: the members of its body schema whose null is kept. */
const clearableByRoute = new WeakMap<object, ReadonlySet<string>>();
function clearable(request: FastifyRequest): ReadonlySet<string> {
  const schema = request.routeOptions.schema?.body;
  if (!schema || typeof schema !== 'object') return clearableMembers(undefined);
  let members = clearableByRoute.get(schema);
  if (!members) {
    members = clearableMembers(schema);
    clearableByRoute.set(schema, members);
  }
  return members;
}

function clientError(statusCode: number, code: string, message: string): Error {
  return Object.assign(new Error(message), { statusCode, code });
}

/**
 * Drops null members of objects, at every depth, except the top-level members named in `keep`; array
 * elements are values and stay.
 */
export function withoutNulls(value: unknown, keep: ReadonlySet<string> = new Set()): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (const item of value) withoutNulls(item);
    return value;
  }
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    if (object[key] === null) {
      if (!keep.has(key)) delete object[key];
    } else withoutNulls(object[key]);
  }
  return value;
}

/** Whether the JSON text nests objects and arrays deeper than `max`, counted outside strings. */
export function depthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > max) return true;
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return false;
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '../../errors.js';
import type { Actor } from '../../http/actor.js';
import { type AuditLog, auditActor, requestFacts } from './service.js';

/** What a Management API route may say about its audit entries. Most routes need say nothing. */
interface AuditRouteOptions {
  /** The entry's action, when the one derived from the path would mislead. */
  action?: string;
  /**
   * The path of the GET that shows what this route changes, read before and after the change; undefined
   * for none. Without it: the GET of the same path, else of its parent collection, narrowed to the item.
   */
  resource?: (request: FastifyRequest) => string | undefined;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `false`: the route changes nothing (a preview, a validation) and is not recorded. */
    audit?: false | AuditRouteOptions;
  }
}

interface AuditWritesDeps {
  auditLog: Pick<AuditLog, 'record'>;
  logger: { error(obj: object, msg: string): void };
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** A POST whose last segment is one of these does that verb to the resource before it. */
const VERBS = new Set([
  'test',
  'rotate',
  'retire',
  'revoke',
  'simulate',
  'validate',
  'preview',
  'send',
  'redeem',
  'confirm',
  'reset',
  'decide',
]);
const METHOD_VERBS: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'update', DELETE: 'delete' };
/** Headers that carry the caller's identity, forwarded to the GET that reads the resource. */
const IDENTITY_HEADERS = ['authorization', 'cookie', 'x-sigil-tenant'] as const;

/** The GET that reads the resource, and how to pick the item out of a collection's answer. */
interface Resource {
  path: string;
  /** The route's last path parameter: the item of the collection whose member of that name equals it. */
  item?: { name: string; value: string } | undefined;
}

interface Pending {
  resource: Resource | undefined;
  /** The GET answered (200, or 404 for nothing there): its after-read is meaningful too. */
  readable: boolean;
  before: unknown;
}

/**
 * Records every write through the Management API in the audit log: each POST, PUT, PATCH and DELETE
 * that a management key or a portal operator makes, whatever its outcome (requests without a caller,
 * the 401s, have no actor and are not recorded). Routes whose permission is a `:read` one change
 * nothing (previews, validations, simulations) and are not recorded.
 *
 * Before and after are read through the route's own GET, with the caller's credentials, just before the
 * handler runs and just after it answers; a create's answer is its after. Each GET shows the resource
 * as the API shows it, so the log shows nothing a caller could not already read, and masking then hides
 * every secret. The entry is written before the answer leaves: if it cannot be, the caller gets a 503,
 * so no change is acknowledged without its entry.
 */
export function auditWrites(scope: FastifyInstance, deps: AuditWritesDeps): void {
  const pending = new WeakMap<FastifyRequest, Pending>();

  const readBefore = async (request: FastifyRequest) => {
    const resource = resourceOf(request);
    const read = resource ? await readResource(request, resource) : undefined;
    pending.set(request, { resource, readable: read !== undefined, before: read ?? null });
  };

  const recordWrite = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const actor = (request as { actor?: Actor }).actor;
    if (!actor) return payload;
    const state = pending.get(request);
    const ok = reply.statusCode < 400;
    let after: unknown = null;
    if (state?.readable && state.resource) after = (await readResource(request, state.resource)) ?? null;
    else if (ok && request.method !== 'DELETE') after = parsed(payload);
    try {
      await deps.auditLog.record({
        tenantId: actor.tenantId,
        actor: auditActor(actor),
        action: actionOf(request),
        ...requestFacts(request),
        status: reply.statusCode,
        before: state?.before ?? null,
        after,
        request: request.body ?? null,
      });
      return payload;
    } catch (err) {
      deps.logger.error(
        { err, tenantId: actor.tenantId, method: request.method, route: request.routeOptions.url },
        'audit entry not written; the write is answered 503',
      );
      reply.code(503);
      reply.type('application/json');
      return JSON.stringify(
        errorBody(
          'service_unavailable',
          'The change could not be recorded in the audit log. Check whether it was applied before trying again.',
        ),
      );
    }
  };

  scope.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.some((m) => WRITES.has(m))) return;
    const config = route.config;
    if (config?.audit === false || config?.permission?.endsWith(':read')) return;
    // Route hooks run after the scope's: the caller is known and allowed before the GET reads anything.
    route.preHandler = [...hooks(route.preHandler), readBefore];
    route.onSend = [...hooks(route.onSend), recordWrite as never];
  });
}

function hooks<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * `sms-providers.update`, `action-configurations.rules.delete`, `api-keys.rotate`: the path's fixed
 * segments under /v1/management (either spelling of a collection reads the same) and what was done.
 */
export function actionName(method: string, route: string): string {
  const segments = route
    .replace(/^\/v1\/(management\/)?/, '')
    .split('/')
    .filter((s) => s !== '' && !s.startsWith(':'))
    .map((s) =>
      s
        .toLowerCase()
        .replace(/_/g, '-')
        .replace(/[^a-z0-9.-]/g, ''),
    );
  const last = segments.at(-1);
  if (method === 'POST' && last && VERBS.has(last) && segments.length > 1) return segments.join('.');
  return [...segments, METHOD_VERBS[method] ?? method.toLowerCase()].join('.');
}

function actionOf(request: FastifyRequest): string {
  const config = request.routeOptions.config.audit || undefined;
  return config?.action || actionName(request.method, request.routeOptions.url ?? request.url);
}

/** The GET that shows what an update or delete changes; creates have no before. */
function resourceOf(request: FastifyRequest): Resource | undefined {
  const config = request.routeOptions.config.audit || undefined;
  if (config?.resource) {
    const path = config.resource(request);
    return path ? { path } : undefined;
  }
  if (request.method === 'POST') return undefined;
  const path = request.url.split('?')[0] ?? '';
  if (request.server.findRoute({ method: 'GET', url: path })) return { path };
  // `PUT /sms-templates/:locale` is read through `GET /sms-templates`, narrowed to that locale.
  const pattern = request.routeOptions.url ?? '';
  const param = /\/:([A-Za-z0-9_]+)$/.exec(pattern)?.[1];
  const value = param ? (request.params as Record<string, unknown>)[param] : undefined;
  if (!param || typeof value !== 'string') return undefined;
  const parent = path.slice(0, path.lastIndexOf('/'));
  if (!parent || !request.server.findRoute({ method: 'GET', url: parent })) return undefined;
  return { path: parent, item: { name: param, value } };
}

/**
 * The resource as its GET shows it to this caller: the body on 200, null on 404 (nothing there), and
 * undefined when it cannot be read (the caller's role may not, or the read failed).
 */
async function readResource(request: FastifyRequest, resource: Resource): Promise<unknown> {
  const headers: Record<string, string> = {};
  for (const name of IDENTITY_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  try {
    const res = await request.server.inject({ method: 'GET', url: resource.path, headers });
    if (res.statusCode === 404) return null;
    if (res.statusCode !== 200) return undefined;
    const body: unknown = JSON.parse(res.body);
    return resource.item ? itemOf(body, resource.item) : body;
  } catch {
    return undefined;
  }
}

/**
 * The item of a collection whose member `name` equals `value`: in the answer itself when it is a list,
 * or in a list member of it (`{templates: [...]}`); null when the list has no such item (deleted, or not
 * yet created); the whole answer when it holds no list of such items.
 */
export function itemOf(body: unknown, item: { name: string; value: string }): unknown {
  const lists = Array.isArray(body)
    ? [body]
    : body && typeof body === 'object'
      ? Object.values(body).filter(Array.isArray)
      : [];
  for (const list of lists) {
    const items = list.filter((x): x is Record<string, unknown> => !!x && typeof x === 'object');
    if (!items.some((x) => Object.hasOwn(x, item.name))) continue;
    return items.find((x) => x[item.name] === item.value) ?? null;
  }
  return body;
}

function parsed(payload: unknown): unknown {
  const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : undefined;
  if (text === undefined || text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

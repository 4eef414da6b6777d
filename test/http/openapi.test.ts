import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqlite } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

type Schema = Record<string, unknown>;
type Operation = { requestBody?: { content?: Record<string, { schema?: Schema }> }; parameters?: unknown[] };
type OpenApi = { openapi: string; paths: Record<string, Record<string, Operation>> };

/** `/v1/users/:userId` → `/v1/users/{userId}`, as OpenAPI writes paths. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/** Members that are free-form by design: JsonLogic, custom data, templates, provider configurations. */
const FREE_FORM = new Set(['conditions', 'custom', 'messagingTemplates', 'templates', 'provider', 'providers']);

/** Every object schema in `schema` that would let an undeclared member through, by JSON path. */
function openObjects(schema: unknown, path: string, found: string[]): string[] {
  if (!schema || typeof schema !== 'object') return found;
  const s = schema as Schema;
  const types = [s.type].flat();
  if (types.includes('object') && s.properties && s.additionalProperties !== false) found.push(path);
  for (const [name, child] of Object.entries((s.properties as Record<string, unknown>) ?? {})) {
    if (!FREE_FORM.has(name)) openObjects(child, `${path}.${name}`, found);
  }
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    for (const child of (s[key] as unknown[] | undefined) ?? []) openObjects(child, path, found);
  }
  if (s.items) openObjects(s.items, `${path}[]`, found);
  return found;
}

describe('the published contract, /openapi.json', () => {
  let t: TestServer;
  let doc: OpenApi;
  beforeAll(async () => {
    t = await startTestServer(sqlite);
    const res = await fetch(`${t.server.url}/openapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as OpenApi;
  });
  afterAll(() => t.close());

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc as never);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('lists every route the server serves, and each /v1 route with a response schema', () => {
    // CORS preflights (`OPTIONS /v1/client*`) are not operations; the document describes itself.
    const routes = t.server.app.routeCatalogue.filter((r) => r.url !== '/openapi.json' && !r.url.includes('*'));
    expect(routes.length).toBeGreaterThan(50);
    const missing = routes.filter((r) => !doc.paths[openApiPath(r.url)]?.[r.method.toLowerCase()]);
    expect(missing).toEqual([]);
    const withoutResponse = routes.filter((r) => {
      type Ok = { content?: Record<string, { schema?: unknown }> };
      const op = doc.paths[openApiPath(r.url)]?.[r.method.toLowerCase()] as { responses?: Record<string, Ok> };
      return r.url.startsWith('/v1/') && !op?.responses?.['200']?.content?.['application/json']?.schema;
    });
    expect(withoutResponse).toEqual([]);
  });

  it('strips undeclared members from every request object: no route leaves one open', () => {
    const open: string[] = [];
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(operations)) {
        const schema = op.requestBody?.content?.['application/json']?.schema;
        openObjects(schema, `${method.toUpperCase()} ${path} body`, open);
      }
    }
    expect(open).toEqual([]);
  });
});

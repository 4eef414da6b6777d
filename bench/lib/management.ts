import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Options } from './options.js';
import { dropSchema, freePort, serverEnv, startServer } from './server.js';

/** Timed Management API calls with a tenant's management key, for the benches that measure its routes. */
export async function managementCall(port: number, key: string, method: string, path: string, body?: unknown) {
  const started = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}/v1/management${path}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return { ms: performance.now() - started, json };
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
export const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.ceil(xs.length * 0.95) - 1] ?? 0;

/**
 * Runs `measure` against a fresh server on `db` whose database `seed` filled first (straight into its
 * tables, not measured; PostgreSQL is then vacuumed and analysed, as autovacuum would after a bulk load).
 * The server, its schema and its files are removed afterwards.
 */
export async function withSeededServer<T>(
  db: string,
  pgUrl: string,
  seed: (url: string, schema: string | undefined, tenantId: string) => Promise<void>,
  measure: (port: number, managementKey: string) => Promise<T>,
  opts: { keepSchema?: boolean } = {},
): Promise<T> {
  const tmp = mkdtempSync(join(tmpdir(), 'sigil-bench-seeded-'));
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const dbEnv: Record<string, string> =
    db === 'sqlite'
      ? { DATABASE_URL: `sqlite:${join(tmp, 'sigil.db')}` }
      : { DATABASE_URL: pgUrl, SIGIL_DATABASE_SCHEMA: schema };
  const port = await freePort();
  const server = await startServer(serverEnv(dbEnv, port, tmp), port, { profile: false, profileDir: tmp } as Options);
  try {
    console.log(`${db}:`);
    await seed(dbEnv.DATABASE_URL as string, db === 'sqlite' ? undefined : schema, server.tenantId);
    if (db === 'postgres') {
      const pg = await import('pg');
      const c = new pg.default.Client({ connectionString: pgUrl, options: `-c search_path=${schema}` });
      await c.connect();
      await c.query('VACUUM ANALYZE');
      await c.end();
    }
    return await measure(port, server.managementSecretKey);
  } finally {
    await server.stop();
    if (db === 'postgres' && opts.keepSchema) console.log(`   kept schema ${schema}`);
    else if (db === 'postgres') await dropSchema(pgUrl, schema);
    rmSync(tmp, { recursive: true, force: true });
  }
}

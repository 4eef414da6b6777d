import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * The databases every storage and integration test runs against: SQLite always, and PostgreSQL
 * whenever SIGIL_TEST_DATABASE_URL is set (.ci/run always sets it). Each test server gets a fresh
 * SQLite file or a fresh PostgreSQL schema, so test files can run in parallel.
 */
export interface TestDatabase {
  name: 'sqlite' | 'postgres' | 'postgres+redis' | 'sqlite+redis';
  /** Environment for loadConfig: DATABASE_URL and, for PostgreSQL, a private schema. */
  env(): Record<string, string>;
  /**
   * Only the Redis tiers: the limit counters live in Redis, whose windows end by Redis's own clock, so a
   * test's ManualClock cannot end them; such tests wait out a short window instead.
   */
  redis?: boolean;
}

const pgUrl = process.env.SIGIL_TEST_DATABASE_URL;

export const sqlite: TestDatabase = {
  name: 'sqlite',
  env: () => ({ DATABASE_URL: `sqlite:${join(mkdtempSync(join(tmpdir(), 'sigil-test-')), 'sigil.db')}` }),
};

export const postgres: TestDatabase | undefined = pgUrl
  ? {
      name: 'postgres',
      env: () => ({ DATABASE_URL: pgUrl, SIGIL_DATABASE_SCHEMA: `t_${randomBytes(6).toString('hex')}` }),
    }
  : undefined;

export const databases: TestDatabase[] = postgres ? [sqlite, postgres] : [sqlite];

const redisUrl = process.env.SIGIL_TEST_REDIS_URL;

/**
 * The limit counters in Redis (REDIS_URL), whenever SIGIL_TEST_REDIS_URL is set (.ci/run sets it). It sits on
 * PostgreSQL when that is configured too, because Redis is for many nodes and many nodes need PostgreSQL
 * (the two-node tests run on it); on SQLite otherwise. Every test server gets its own key prefix, so test
 * files running in parallel never share a counter; the keys expire with their windows.
 */
const redisTier: TestDatabase | undefined = redisUrl
  ? {
      name: postgres ? 'postgres+redis' : 'sqlite+redis',
      redis: true,
      env: () => ({
        ...(postgres ?? sqlite).env(),
        REDIS_URL: redisUrl,
        SIGIL_REDIS_KEY_PREFIX: `sigil-test-${randomBytes(6).toString('hex')}`,
      }),
    }
  : undefined;

/** The backends of the limit counters: each database, and Redis when configured. Only test/abuse/ uses it. */
export const limitBackends: TestDatabase[] = redisTier ? [...databases, redisTier] : databases;

/** The names of the schemas that test servers create: `t_` and 12 hex digits. */
export const TEST_SCHEMA_PATTERN = '^t_[0-9a-f]{12}$';

/**
 * Drops every test schema. Only the global teardown calls this: dropping a schema while other tests
 * start servers races with Kysely's migrator, which inspects every schema of the database and fails on
 * one that disappears under it.
 */
export async function dropTestSchemas(): Promise<void> {
  if (!pgUrl) return;
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname ~ $1', [
      TEST_SCHEMA_PATTERN,
    ]);
    for (const { nspname } of rows) await client.query(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`);
  } finally {
    await client.end();
  }
}

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, type Migration, type MigrationProvider, Migrator, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import * as initial from './migrations/001_initial.js';
import * as adaptiveMfa from './migrations/002_adaptive_mfa.js';
import * as numberLimits from './migrations/003_number_limits.js';
import * as smsDelivery from './migrations/004_sms_delivery.js';
import * as sessions from './migrations/005_sessions.js';
import * as sessionPurge from './migrations/006_session_purge.js';
import * as abuseDefence from './migrations/007_abuse_defence.js';
import * as operators from './migrations/008_operators.js';
import * as apiKeyLifecycle from './migrations/009_api_key_lifecycle.js';
import * as auditLog from './migrations/010_audit_log.js';
import * as actionOutcomes from './migrations/011_action_outcomes.js';
import * as activity from './migrations/012_activity.js';
import * as messageLog from './migrations/013_message_log.js';
import type { Database } from './schema.js';
import { startCheckpointer } from './sqlite-checkpointer.js';
import { GroupCommitSqliteDialect } from './sqlite-group-commit.js';

export type Db = Kysely<Database>;
export type DbKind = 'sqlite' | 'postgres';

export interface DbOptions {
  url: string;
  schema?: string | undefined;
  sqliteSynchronous?: 'NORMAL' | 'FULL';
  poolSize?: number;
}

// PostgreSQL returns int8 as text by default; every bigint here is a millisecond time, well inside 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number.parseInt(value, 10));

export function databaseKind(url: string): DbKind {
  return url.startsWith('sqlite:') ? 'sqlite' : 'postgres';
}

export async function openDatabase(options: DbOptions): Promise<{ db: Db; kind: DbKind }> {
  const kind = databaseKind(options.url);
  if (kind === 'sqlite') return { db: new Kysely<Database>({ dialect: sqliteDialect(options) }), kind };
  if (options.schema) await ensureSchema(options.url, options.schema);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    ...(options.schema ? { options: `-c search_path=${quoteIdent(options.schema)}` } : {}),
  });
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), kind };
}

function sqliteDialect(options: DbOptions): GroupCommitSqliteDialect {
  const path = options.url.slice('sqlite:'.length);
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new SQLite(path);
  // WAL lets readers run beside the writer. NORMAL sync is durable against a killed process
  // (the WAL is in the OS page cache); FULL is needed only to survive power loss.
  database.pragma('journal_mode = WAL');
  database.pragma(`synchronous = ${options.sqliteSynchronous ?? 'NORMAL'}`);
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  if (path === ':memory:') return new GroupCommitSqliteDialect(database);
  // Checkpoints run on a worker thread, so that their fsync never stalls the event loop mid-COMMIT.
  // SQLite's own checkpoint stays as a backstop (at 40 MiB of WAL) should the worker ever fall behind.
  database.pragma('wal_autocheckpoint = 10000');
  const checkpointer = startCheckpointer(path);
  return new GroupCommitSqliteDialect(database, () => checkpointer.stop());
}

async function ensureSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
  } finally {
    await client.end();
  }
}

function quoteIdent(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) throw new Error(`Invalid schema name: ${name}`);
  return `"${name}"`;
}

const migrations: Record<string, Migration> = {
  '001_initial': initial,
  '002_adaptive_mfa': adaptiveMfa,
  '003_number_limits': numberLimits,
  '004_sms_delivery': smsDelivery,
  '005_sessions': sessions,
  '006_session_purge': sessionPurge,
  '007_abuse_defence': abuseDefence,
  '008_operators': operators,
  '009_api_key_lifecycle': apiKeyLifecycle,
  '010_audit_log': auditLog,
  '011_action_outcomes': actionOutcomes,
  '012_activity': activity,
  '013_message_log': messageLog,
};

const provider: MigrationProvider = { getMigrations: async () => migrations };

/**
 * Brings the schema up to date (or to `target`, for the upgrade tests). Safe to run from several processes
 * at once (Kysely takes a lock).
 */
export async function migrate(db: Db, target?: string): Promise<string[]> {
  // On PostgreSQL, Kysely looks for its migration tables in every schema unless told which one; with
  // several Sigil schemas in one database it would find another schema's tables. Pin it to ours.
  const migrationTableSchema = await currentPostgresSchema(db);
  const migrator = new Migrator({ db, provider, ...(migrationTableSchema ? { migrationTableSchema } : {}) });
  const { error, results } = await (target ? migrator.migrateTo(target) : migrator.migrateToLatest());
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

async function currentPostgresSchema(db: Db): Promise<string | undefined> {
  try {
    const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
    return rows[0]?.schema;
  } catch {
    return undefined; // SQLite has no schemas
  }
}

export async function ping(db: Db): Promise<void> {
  await sql`select 1`.execute(db);
}

import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Every setting of Sigil, validated once at start. Units are in the names. */
export interface Config {
  env: 'development' | 'production' | 'test';
  host: string;
  port: number;
  /**
   * Where clients and vendors reach Sigil, without `/v1`: SIGIL_PUBLIC_URL, or derived from HOST and PORT.
   * Undefined with PORT=0, when only the listening address can tell it (see PublicUrls).
   */
  publicUrl: string | undefined;
  dataDir: string;
  /** `sqlite:<path>` or a `postgres://` URL. */
  databaseUrl: string;
  /** Where limit counters live, shared by every node; without it they live in the database. */
  redisUrl: string | undefined;
  /** Prepended to every Redis key, so that several deployments (or test servers) can share one Redis. */
  redisKeyPrefix: string;
  /** PostgreSQL only: the schema to use (created if missing). */
  databaseSchema: string | undefined;
  /** SQLite `synchronous` pragma: NORMAL survives a killed process; FULL also survives power loss. */
  sqliteSynchronous: 'NORMAL' | 'FULL';
  masterKey: Buffer;
  logLevel: string;
  bodyLimitBytes: number;
  /**
   * Fail at once on a query outside the open transaction, or a nested one (src/storage/transactions.ts).
   * Costs every promise a little on Node 20, so it is on in development and test only by default.
   */
  transactionGuard: boolean;
  /** Create a development tenant on first start when there is none. */
  bootstrapDevTenant: boolean;
  /** Portal accounts must use TOTP: one without it may only enrol until it has (SIGIL_PORTAL_REQUIRE_MFA). */
  portalRequireMfa: boolean;
  /** `GET /metrics` (SIGIL_METRICS, default on) and its optional bearer token (SIGIL_METRICS_TOKEN). */
  metrics: { enabled: boolean; token: string | undefined };
  /** Cache of API-key lookups; a revoked key stops working on every node within this time. */
  authCacheTtlMs: number;
  otp: {
    length: number;
    ttlSeconds: number;
    maxAttempts: number;
    resendCooldownSeconds: number;
    maxSendsPerChallenge: number;
    /** Codes one number may receive per hour, across challenges and resends (0: no limit). */
    maxSendsPerNumberPerHour: number;
  };
  tokenTtlSeconds: number;
  sessions: {
    /** Revoked and expired sessions are kept this long (the portal shows them), then the sweep deletes them. */
    retentionDays: number;
    /** How often each server runs that sweep; 0 turns it off (then run `sigil sessions purge`, e.g. from cron). */
    purgeIntervalMs: number;
  };
  audit: {
    /** Audit-log entries older than this are deleted by the hourly sweep; 0 keeps them forever. */
    retentionDays: number;
  };
  /**
   * Which proxies' X-Forwarded-For to believe for the caller's IP (Fastify's trustProxy): false (the
   * socket's address), true (any), a hop count, or addresses and CIDRs. Per-IP limits count this address.
   */
  trustProxy: boolean | number | string[];
  /** Origins allowed to call the Client API from a browser; empty means any origin. */
  clientOrigins: string[];
  sms: {
    /** The dev provider writes the whole message, code included, to the log. Never on in production. */
    devLogMessages: boolean;
    /** Each request to a vendor or webhook must answer within this. */
    timeoutMs: number;
    /** Tries per provider for transient failures (429, 5xx, network, timeout), the first included. */
    attemptsPerProvider: number;
    /** All tries and failovers of one message end within this: the user is waiting for the code. */
    sendBudgetMs: number;
    /** Consecutive failed messages after which a provider is skipped, and for how long. */
    breakerFailures: number;
    breakerCooldownMs: number;
    webhookAllowLoopback: boolean;
    webhookAllowPrivateNetworks: boolean;
    appName: string;
    /** The most segments a template may take when saved (SIGIL_SMS_MAX_SEGMENTS); a tenant may set its own. */
    maxSegments: number;
  };
}

export const OTP_TTL_HARD_MAX_SECONDS = 600;

type Env = Record<string, string | undefined>;

/** Built once and frozen: nothing may change a setting while the server runs. */
export function loadConfig(env: Env = process.env): Readonly<Config> {
  const mode = parseMode(env.NODE_ENV);
  const dev = mode !== 'production';
  const host = env.HOST ?? '127.0.0.1';
  const port = int(env, 'PORT', 8080, 0, 65535);
  const dataDir = resolve(env.SIGIL_DATA_DIR ?? './data');
  const databaseUrl = env.DATABASE_URL?.trim() || `sqlite:${join(dataDir, 'sigil.db')}`;
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(databaseUrl)) {
    throw new Error('DATABASE_URL must start with postgres://, postgresql:// or sqlite:');
  }
  const publicHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const ttlSeconds = int(env, 'SIGIL_OTP_TTL_SECONDS', 600, 30, Number.MAX_SAFE_INTEGER);
  if (ttlSeconds > OTP_TTL_HARD_MAX_SECONDS) {
    throw new Error(
      `SIGIL_OTP_TTL_SECONDS may be at most ${OTP_TTL_HARD_MAX_SECONDS} (NIST SP 800-63B, OWASP ASVS 6.5.5)`,
    );
  }
  return deepFreeze({
    env: mode,
    host,
    port,
    publicUrl: publicUrl(env.SIGIL_PUBLIC_URL, publicHost, port),
    dataDir,
    databaseUrl,
    databaseSchema: env.SIGIL_DATABASE_SCHEMA || undefined,
    redisUrl: redisUrl(env.REDIS_URL),
    redisKeyPrefix: redisKeyPrefix(env.SIGIL_REDIS_KEY_PREFIX),
    sqliteSynchronous: env.SIGIL_SQLITE_SYNCHRONOUS === 'FULL' ? 'FULL' : 'NORMAL',
    masterKey: loadMasterKey(env.SIGIL_MASTER_KEY, dataDir, dev),
    logLevel: env.LOG_LEVEL ?? (mode === 'test' ? 'silent' : 'info'),
    bodyLimitBytes: int(env, 'SIGIL_BODY_LIMIT_BYTES', 64 * 1024, 1024, 10 * 1024 * 1024),
    transactionGuard: bool(env, 'SIGIL_TRANSACTION_GUARD', dev),
    bootstrapDevTenant: bool(env, 'SIGIL_BOOTSTRAP_DEV_TENANT', dev),
    portalRequireMfa: bool(env, 'SIGIL_PORTAL_REQUIRE_MFA', false),
    metrics: { enabled: bool(env, 'SIGIL_METRICS', true), token: env.SIGIL_METRICS_TOKEN?.trim() || undefined },
    authCacheTtlMs: int(env, 'SIGIL_AUTH_CACHE_TTL_MS', 5_000, 0, 60_000),
    otp: {
      length: int(env, 'SIGIL_OTP_LENGTH', 6, 6, 10),
      ttlSeconds,
      maxAttempts: int(env, 'SIGIL_OTP_MAX_ATTEMPTS', 5, 1, 100),
      resendCooldownSeconds: int(env, 'SIGIL_OTP_RESEND_COOLDOWN_SECONDS', 30, 0, 3600),
      maxSendsPerChallenge: int(env, 'SIGIL_OTP_MAX_SENDS', 5, 1, 50),
      maxSendsPerNumberPerHour: int(env, 'SIGIL_SMS_MAX_PER_NUMBER_PER_HOUR', 10, 0, 10_000),
    },
    tokenTtlSeconds: int(env, 'SIGIL_TOKEN_TTL_SECONDS', 600, 30, 3600),
    sessions: {
      retentionDays: int(env, 'SIGIL_SESSION_RETENTION_DAYS', 7, 0, 3650),
      purgeIntervalMs: int(env, 'SIGIL_SESSION_PURGE_INTERVAL_MS', 3_600_000, 0, 86_400_000),
    },
    audit: { retentionDays: int(env, 'SIGIL_AUDIT_RETENTION_DAYS', 365, 0, 36_500) },
    trustProxy: trustProxy(env.SIGIL_TRUST_PROXY),
    clientOrigins: (env.SIGIL_CLIENT_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    sms: {
      devLogMessages: dev && bool(env, 'SIGIL_DEV_SMS_LOG', true),
      timeoutMs: int(
        env,
        'SIGIL_SMS_TIMEOUT_MS',
        int(env, 'SIGIL_WEBHOOK_TIMEOUT_MS', 5_000, 100, 60_000),
        100,
        60_000,
      ),
      attemptsPerProvider: int(env, 'SIGIL_SMS_ATTEMPTS_PER_PROVIDER', 3, 1, 10),
      sendBudgetMs: sendBudget(env, ttlSeconds),
      breakerFailures: int(env, 'SIGIL_SMS_BREAKER_FAILURES', 5, 1, 1000),
      breakerCooldownMs: int(env, 'SIGIL_SMS_BREAKER_COOLDOWN_MS', 30_000, 1_000, 3_600_000),
      webhookAllowLoopback: bool(env, 'SIGIL_WEBHOOK_ALLOW_LOOPBACK', dev),
      webhookAllowPrivateNetworks: bool(env, 'SIGIL_WEBHOOK_ALLOW_PRIVATE_NETWORKS', false),
      appName: env.SIGIL_APP_NAME ?? 'Sigil',
      maxSegments: int(env, 'SIGIL_SMS_MAX_SEGMENTS', 2, 1, 10),
    },
  });
}

function publicUrl(given: string | undefined, host: string, port: number): string | undefined {
  if (given !== undefined && given.trim() !== '') {
    let url: URL;
    try {
      url = new URL(given.trim());
    } catch (err) {
      throw new Error(`SIGIL_PUBLIC_URL must be an absolute http(s) URL, got "${given}"`, { cause: err });
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new Error(`SIGIL_PUBLIC_URL must be an absolute http(s) URL, got "${given}"`);
    }
    return given.trim().replace(/\/+$/, '');
  }
  return port === 0 ? undefined : `http://${host}:${port}`;
}

function trustProxy(value: string | undefined): boolean | number | string[] {
  const raw = value?.trim();
  if (!raw || /^(0|false|no|off)$/i.test(raw)) return false;
  if (/^(true|yes|on)$/i.test(raw)) return true;
  if (/^[1-9][0-9]?$/.test(raw)) return Number(raw);
  const list = raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (!list.every((entry) => /^[0-9a-fA-F:.]+(\/[0-9]{1,3})?$/.test(entry))) {
    throw new Error('SIGIL_TRUST_PROXY must be true, false, a hop count, or a comma-separated list of IPs and CIDRs');
  }
  return list;
}

function redisUrl(value: string | undefined): string | undefined {
  const url = value?.trim();
  if (!url) return undefined;
  if (!/^rediss?:\/\//.test(url)) throw new Error('REDIS_URL must start with redis:// or rediss://');
  return url;
}

function redisKeyPrefix(value: string | undefined): string {
  const prefix = value?.trim() || 'sigil';
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(prefix)) {
    throw new Error(`SIGIL_REDIS_KEY_PREFIX must be 1 to 64 letters, digits or _ . : -, got "${value}"`);
  }
  return prefix;
}

function deepFreeze<T extends object>(value: T): T {
  for (const member of Object.values(value)) {
    if (typeof member === 'object' && member !== null && !Buffer.isBuffer(member)) deepFreeze(member);
  }
  return Object.freeze(value);
}

/**
 * Retries and failover must end while the code is still worth sending: at most a quarter of its
 * lifetime. The default is 15 s, or less for a short-lived code; a larger explicit setting is refused.
 */
function sendBudget(env: Env, ttlSeconds: number): number {
  const max = ttlSeconds * 250;
  const budget = int(env, 'SIGIL_SMS_SEND_BUDGET_MS', Math.min(15_000, max), 100, 120_000);
  if (budget > max) {
    throw new Error(
      `SIGIL_SMS_SEND_BUDGET_MS may be at most a quarter of the code's lifetime (${max} ms for SIGIL_OTP_TTL_SECONDS=${ttlSeconds})`,
    );
  }
  return budget;
}

function parseMode(value: string | undefined): Config['env'] {
  if (value === 'production' || value === 'test') return value;
  return 'development';
}

/**
 * The master key encrypts provider credentials and keys the OTP HMAC. In production it must be given
 * (32 bytes, base64 or hex). In development one is generated once into the data folder.
 */
function loadMasterKey(value: string | undefined, dataDir: string, dev: boolean): Buffer {
  if (value) return decodeKey(value);
  if (!dev) throw new Error('SIGIL_MASTER_KEY is required in production (32 random bytes, base64 or hex)');
  const file = join(dataDir, 'master.key');
  if (existsSync(file)) return decodeKey(readFileSync(file, 'utf8').trim());
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32).toString('base64');
  writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return decodeKey(key);
}

function decodeKey(value: string): Buffer {
  const key = /^[0-9a-f]{64,}$/i.test(value) ? Buffer.from(value, 'hex') : Buffer.from(value, 'base64');
  if (key.length < 32) throw new Error('SIGIL_MASTER_KEY must decode to at least 32 bytes');
  return key;
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error(`${name} must be true or false, got "${raw}"`);
}

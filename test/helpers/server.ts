import { randomBytes } from 'node:crypto';
import { Authsignal } from '@authsignal/node';
import { loadConfig } from '../../src/config.js';
import type { DepsOverrides } from '../../src/deps.js';
import { type RunningServer, startServer } from '../../src/main.js';
import type { CreatedTenant } from '../../src/modules/tenants/service.js';
import type { TestDatabase } from './databases.js';

export interface TestServer {
  server: RunningServer;
  /** The apiUrl to give the SDK, with /v1. */
  apiUrl: string;
  tenant: CreatedTenant;
  /** Environment for running the CLI against this server's database, with its master key. */
  cliEnv: Record<string, string>;
  /** The official node SDK, pointed at this server, with retries off so failures show at once. */
  sdk: Authsignal;
  newTenant(name?: string): Promise<{ tenant: CreatedTenant; sdk: Authsignal }>;
  /** The code in the newest dev-inbox message to `phone`. */
  lastCode(phone: string): Promise<string>;
  /** A raw request to the Server API with this tenant's key. */
  fetch(path: string, init?: RequestInit & { key?: string }): Promise<Response>;
  close(): Promise<void>;
}

export async function startTestServer(
  db: TestDatabase,
  env: Record<string, string> = {},
  overrides: DepsOverrides = {},
): Promise<TestServer> {
  const dbEnv = db.env();
  const masterKey = randomBytes(32).toString('base64');
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    SIGIL_MASTER_KEY: masterKey,
    SIGIL_BOOTSTRAP_DEV_TENANT: 'false',
    SIGIL_OTP_RESEND_COOLDOWN_SECONDS: '0',
    ...dbEnv,
    ...env,
  });
  const server = await startServer(config, overrides);
  const apiUrl = `${server.url}/v1`;
  const sdkFor = (tenant: CreatedTenant) => new Authsignal({ apiSecretKey: tenant.apiSecretKey, apiUrl, retries: 0 });
  const newTenant = async (name = 'test') => {
    const tenant = await server.deps.tenantService.create(name);
    return { tenant, sdk: sdkFor(tenant) };
  };
  const { tenant, sdk } = await newTenant();
  return {
    server,
    apiUrl,
    tenant,
    cliEnv: { ...dbEnv, SIGIL_MASTER_KEY: masterKey, NODE_ENV: 'test' },
    sdk,
    newTenant,
    async lastCode(phone) {
      const row = await server.deps.db
        .selectFrom('dev_inbox')
        .select('body')
        .where('to', '=', phone)
        .orderBy('created_at', 'desc')
        .limit(1)
        .executeTakeFirst();
      const code = row && /\b(\d{6,10})\b/.exec(row.body)?.[1];
      if (!code) throw new Error(`No code was sent to ${phone}`);
      return code;
    },
    fetch(path, init = {}) {
      const key = init.key ?? tenant.apiSecretKey;
      return fetch(`${apiUrl}${path}`, {
        ...init,
        headers: {
          authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`,
          ...(init.body ? { 'content-type': 'application/json' } : {}),
          ...(init.headers ?? {}),
        },
      });
    },
    async close() {
      await server.close(); // its PostgreSQL schema is dropped by the global teardown
    },
  };
}

/** A fresh phone number that libphonenumber accepts (NZ mobile range), unique per call. */
let counter = 0;
export function phone(): string {
  counter += 1;
  const n = (Date.now() % 1_000_000) * 10 + (counter % 10) + counter * 7;
  return `+6421${String(n % 10_000_000).padStart(7, '0')}`;
}

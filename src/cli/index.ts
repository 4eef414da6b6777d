#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config.js';
import { createDeps, createLogger } from '../deps.js';
import { ApiError } from '../errors.js';
import { DAY_MS } from '../lib/clock.js';
import { closeOnSignals, startServer } from '../main.js';
import { readInbox } from '../modules/sms/inbox.js';
import { testProvider } from '../modules/sms/provider-test.js';
import { migrate } from '../storage/db.js';
import { registerAdminCommands } from './admin.js';
import { registerApiKeyCommands } from './api-keys.js';

const program = new Command('sigil').description(
  'Self-hosted SMS OTP and adaptive MFA, compatible with Authsignal SDKs',
);

program
  .command('start')
  .description('run migrations and start the server (HOST, PORT and DATABASE_URL configure it)')
  .action(async () => {
    closeOnSignals(await startServer(loadConfig()));
  });

program
  .command('migrate')
  .description('bring the database schema up to date, then exit')
  .action(async () => {
    await withDeps(async (deps) => {
      const applied = await migrate(deps.db);
      console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'The schema is up to date.');
    });
  });

const tenant = program.command('tenant').description('manage tenants');
tenant
  .command('create')
  .description('create a tenant and print its keys (shown only this once)')
  .requiredOption('--name <name>', 'a name for the tenant', nonEmpty)
  .option('--json', 'print one JSON object')
  .action(async (options: { name: string; json?: boolean }) => {
    await withDeps(async (deps) => {
      await migrate(deps.db);
      const created = await deps.tenantService.create(options.name);
      const out = {
        tenantId: created.tenantId,
        name: created.name,
        apiSecretKey: created.apiSecretKey,
        managementSecretKey: created.managementSecretKey,
        // Unknown only with PORT=0, where the server learns its address when it listens.
        ...(deps.publicUrls.known ? { apiUrl: deps.publicUrls.apiUrl } : {}),
      };
      if (options.json) console.log(JSON.stringify(out));
      else for (const [k, v] of Object.entries(out)) console.log(`${k.padEnd(20)} ${v}`);
    });
  });

const keys = program.command('keys').description("manage a tenant's token-signing keys (ES256, published as JWKS)");
keys
  .command('rotate')
  .description('add a new signing key; new tokens use it, tokens signed before stay valid until their key is retired')
  .requiredOption('--tenant <tenantId>', 'the tenant')
  .action(async (options: { tenant: string }) => {
    await withDeps(async (deps) => {
      if (!(await deps.tenantService.exists(options.tenant))) throw new Error(`no tenant ${options.tenant}`);
      console.log(JSON.stringify({ kid: await deps.tokenService.createSigningKey(options.tenant) }));
    });
  });
keys
  .command('retire')
  .description('retire a signing key: tokens it signed stop verifying (within a minute on every node)')
  .requiredOption('--tenant <tenantId>', 'the tenant')
  .requiredOption('--kid <kid>', 'the key to retire')
  .action(async (options: { tenant: string; kid: string }) => {
    await withDeps(async (deps) => {
      const active = await deps.tokenService.listSigningKeys(options.tenant);
      if (active.length <= 1) throw new Error('refusing to retire the last active key: rotate first');
      if (!(await deps.tokenService.retireSigningKey(options.tenant, options.kid))) {
        throw new Error(`no active key ${options.kid} for tenant ${options.tenant}`);
      }
      console.log(JSON.stringify({ retired: options.kid }));
    });
  });
keys
  .command('list')
  .description('list the active signing keys, newest first')
  .requiredOption('--tenant <tenantId>', 'the tenant')
  .action(async (options: { tenant: string }) => {
    await withDeps(async (deps) =>
      console.log(JSON.stringify(await deps.tokenService.listSigningKeys(options.tenant))),
    );
  });

registerApiKeyCommands(program, withTenant);

const sessionClients = program
  .command('session-clients')
  .description("manage a tenant's session clients: each app holding sessions, whose ID is the access token's aud");
sessionClients
  .command('create')
  .description('create a session client and print its clientId (for createSession)')
  .requiredOption('--tenant <tenantId>', 'the tenant')
  .requiredOption('--name <name>', 'a name for the client, e.g. web or ios', nonEmpty)
  .option('--access-ttl-seconds <n>', 'access token lifetime (default 900: 15 minutes)', positiveInt)
  .option('--refresh-ttl-seconds <n>', 'refresh token lifetime (default 2592000: 30 days)', positiveInt)
  .option('--json', 'print one JSON object')
  .action(
    async (options: {
      tenant: string;
      name: string;
      accessTtlSeconds?: number;
      refreshTtlSeconds?: number;
      json?: boolean;
    }) => {
      await withTenant(options.tenant, async (deps) => {
        const created = await deps.sessionService.clients.create(options.tenant, {
          name: options.name,
          accessTokenTtlSeconds: options.accessTtlSeconds,
          refreshTokenTtlSeconds: options.refreshTtlSeconds,
        });
        if (options.json) console.log(JSON.stringify(created));
        else for (const [k, v] of Object.entries(created)) console.log(`${k.padEnd(24)} ${v}`);
      });
    },
  );
sessionClients
  .command('list')
  .description("print the tenant's session clients")
  .requiredOption('--tenant <tenantId>', 'the tenant')
  .action(async (options: { tenant: string }) => {
    await withTenant(options.tenant, async (deps) =>
      console.log(JSON.stringify(await deps.sessionService.clients.list(options.tenant))),
    );
  });

program
  .command('sessions')
  .description('maintain sessions')
  .command('purge')
  .description(
    'delete sessions revoked, or past their refresh expiry, more than the retention ago, with their refresh ' +
      'tokens (every tenant); the server does this itself every SIGIL_SESSION_PURGE_INTERVAL_MS',
  )
  .option(
    '--retention-days <n>',
    'keep ended sessions this many days (default SIGIL_SESSION_RETENTION_DAYS, 7)',
    nonNegativeInt,
  )
  .action(async (options: { retentionDays?: number }) => {
    await withDeps(async (deps) => {
      await migrate(deps.db);
      const retentionDays = options.retentionDays ?? deps.config.sessions.retentionDays;
      const purged = await deps.sessionService.purge({ retentionMs: retentionDays * DAY_MS });
      console.log(JSON.stringify({ ...purged, retentionDays }));
    });
  });

const sms = program.command('sms-providers').description("manage a tenant's SMS providers (tried in order)");
sms
  .command('list')
  .description('print the providers, credentials masked')
  .requiredOption('--tenant <tenantId>', 'the tenant')
  .action(async (options: { tenant: string }) => {
    await withTenant(options.tenant, async (deps) =>
      console.log(JSON.stringify(await deps.smsProviders.masked(options.tenant), null, 2)),
    );
  });
sms
  .command('set')
  .description('replace the providers with a JSON list, from a file or stdin (-): [{"type":"twilio",...}, ...]')
  .requiredOption('--tenant <tenantId>', 'the tenant')
  .requiredOption('--file <path>', 'the JSON file, or - for stdin')
  .action(async (options: { tenant: string; file: string }) => {
    const text = readFileSync(options.file === '-' ? 0 : options.file, 'utf8');
    let providers: unknown;
    try {
      providers = JSON.parse(text);
    } catch {
      throw new Error(`${options.file} is not JSON`);
    }
    const list = Array.isArray(providers) ? providers : (providers as { providers?: unknown })?.providers;
    await withTenant(options.tenant, async (deps) => {
      await deps.smsProviders.replace(options.tenant, { providers: list });
      console.log(JSON.stringify(await deps.smsProviders.masked(options.tenant), null, 2));
    });
  });
sms
  .command('test')
  .description('send a real test message through one provider and print how it answered')
  .requiredOption('--tenant <tenantId>', 'the tenant')
  .requiredOption('--to <phone>', 'the number to text, E.164')
  .option('--index <n>', 'which provider, by its place in the list', nonNegativeInt, 0)
  .action(async (options: { tenant: string; to: string; index: number }) => {
    await withTenant(options.tenant, async (deps) => {
      const report = await testProvider(deps, options.tenant, options.to, options.index);
      console.log(JSON.stringify(report, null, 2));
      if (report.outcome !== 'accepted') process.exitCode = 2;
    });
  });

registerAdminCommands(program);

const dev = program.command('dev').description('development helpers');
dev
  .command('inbox')
  .description('print the newest messages sent through the dev SMS provider')
  .option('--to <phone>', 'only messages to this number')
  .option('--tenant <tenantId>', 'only messages of this tenant')
  .option('--limit <n>', 'how many messages', positiveInt, 10)
  .option('--json', 'print JSON')
  .action(async (options: { to?: string; tenant?: string; limit: number; json?: boolean }) => {
    await withDeps(async (deps) => {
      const messages = await readInbox(deps.smsStore, options.tenant, { to: options.to, limit: options.limit });
      if (options.json) return console.log(JSON.stringify(messages));
      if (messages.length === 0) return console.log('The dev inbox is empty.');
      for (const m of messages) console.log(`${m.createdAt}  ${m.to}  ${m.body}`);
    });
  });

/** Runs with deps for an existing tenant; API errors print their description. */
async function withTenant(tenantId: string, run: (deps: Awaited<ReturnType<typeof createDeps>>) => Promise<void>) {
  await withDeps(async (deps) => {
    await migrate(deps.db);
    if (!(await deps.tenantService.exists(tenantId))) throw new Error(`no tenant ${tenantId}`);
    try {
      await run(deps);
    } catch (err) {
      if (err instanceof ApiError) throw new Error(err.description, { cause: err });
      throw err;
    }
  });
}

async function withDeps(run: (deps: Awaited<ReturnType<typeof createDeps>>) => Promise<void>): Promise<void> {
  const config = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const deps = await createDeps(config, { logger: createLogger(config, 2) });
  try {
    await run(deps);
  } finally {
    await deps.close();
  }
}

function nonEmpty(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('must not be empty');
  return value.trim();
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number');
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

program.parseAsync().catch((err: unknown) => {
  console.error(`sigil: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

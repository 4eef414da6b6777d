#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config.js';
import { createDeps } from '../deps.js';
import { closeOnSignals, startServer } from '../main.js';
import { readInbox } from '../modules/sms/inbox.js';
import { migrate } from '../storage/db.js';

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
      const created = await deps.tenants.create(options.name);
      const out = {
        tenantId: created.tenantId,
        name: created.name,
        apiSecretKey: created.apiSecretKey,
        managementSecretKey: created.managementSecretKey,
        apiUrl: deps.config.apiUrl,
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
      if (!(await deps.tenants.exists(options.tenant))) throw new Error(`no tenant ${options.tenant}`);
      console.log(JSON.stringify({ kid: await deps.tokens.createSigningKey(options.tenant) }));
    });
  });
keys
  .command('retire')
  .description('retire a signing key: tokens it signed stop verifying (within a minute on every node)')
  .requiredOption('--tenant <tenantId>', 'the tenant')
  .requiredOption('--kid <kid>', 'the key to retire')
  .action(async (options: { tenant: string; kid: string }) => {
    await withDeps(async (deps) => {
      const active = await deps.tokens.listSigningKeys(options.tenant);
      if (active.length <= 1) throw new Error('refusing to retire the last active key: rotate first');
      if (!(await deps.tokens.retireSigningKey(options.tenant, options.kid))) {
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
    await withDeps(async (deps) => console.log(JSON.stringify(await deps.tokens.listSigningKeys(options.tenant))));
  });

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
      const messages = await readInbox(deps.db, options.tenant, { to: options.to, limit: options.limit });
      if (options.json) return console.log(JSON.stringify(messages));
      if (messages.length === 0) return console.log('The dev inbox is empty.');
      for (const m of messages) console.log(`${m.createdAt}  ${m.to}  ${m.body}`);
    });
  });

async function withDeps(run: (deps: Awaited<ReturnType<typeof createDeps>>) => Promise<void>): Promise<void> {
  const config = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
  const deps = await createDeps(config);
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

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
  return n;
}

program.parseAsync().catch((err: unknown) => {
  console.error(`sigil: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

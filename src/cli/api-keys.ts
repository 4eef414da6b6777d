import { type Command, InvalidArgumentError } from 'commander';
import type { Deps } from '../deps.js';
import { MAX_GRACE_MINUTES } from '../modules/tenants/api-keys.js';
import type { ApiKeyKind } from '../storage/schema.js';

/** Runs with deps for an existing tenant, as src/cli/index.ts does for every tenant command. */
type WithTenant = (tenantId: string, run: (deps: Deps) => Promise<void>) => Promise<void>;

/**
 * `sigil api-keys list|create|rotate|revoke`: the Management API's key routes for an operator at the
 * server's shell (docs/api-keys.md). Same rules, same service: a secret is printed once, the last active
 * management key cannot be revoked. A revocation reaches running servers within SIGIL_AUTH_CACHE_TTL_MS.
 */
export function registerApiKeyCommands(program: Command, withTenant: WithTenant): void {
  const apiKeys = program
    .command('api-keys')
    .description("manage a tenant's API keys: server keys (sk_, for the Server API) and management keys (mk_)");

  apiKeys
    .command('list')
    .description('list the keys, newest first, with their hints and status (never a secret)')
    .requiredOption('--tenant <tenantId>', 'the tenant')
    .option('--json', 'print one JSON array')
    .action(async (options: { tenant: string; json?: boolean }) => {
      await withTenant(options.tenant, async (deps) => {
        const keys = await deps.tenantService.listKeys(options.tenant);
        if (options.json) return console.log(JSON.stringify(keys));
        for (const k of keys) {
          const until = k.expiresAt && k.status === 'expiring' ? ` until ${k.expiresAt}` : '';
          console.log(
            [k.keyId, k.kind.padEnd(10), `${k.status}${until}`.padEnd(10), k.hint ?? '-', k.name ?? ''].join('  '),
          );
        }
      });
    });

  apiKeys
    .command('create')
    .description('create a key and print its secret (shown only this once)')
    .requiredOption('--tenant <tenantId>', 'the tenant')
    .requiredOption('--kind <kind>', 'server or management', keyKind)
    .option('--name <name>', 'a label, such as the system that will hold the key', label)
    .option('--json', 'print one JSON object')
    .action(async (options: { tenant: string; kind: ApiKeyKind; name?: string; json?: boolean }) => {
      await withTenant(options.tenant, async (deps) => {
        const created = await deps.tenantService.createKey(options.tenant, { kind: options.kind, name: options.name });
        printCreated(created, options.json);
      });
    });

  apiKeys
    .command('rotate')
    .description('replace a key by a new one of its kind and print the new secret (shown only this once)')
    .requiredOption('--tenant <tenantId>', 'the tenant')
    .requiredOption('--key <keyId>', 'the key to replace')
    .option(
      '--grace-minutes <n>',
      `how long the old key keeps working, 0 to ${MAX_GRACE_MINUTES} (default 0: revoked now)`,
      graceMinutes,
    )
    .option('--name <name>', 'a label for the new key (default: the old key’s)', label)
    .option('--json', 'print one JSON object')
    .action(async (options: { tenant: string; key: string; graceMinutes?: number; name?: string; json?: boolean }) => {
      await withTenant(options.tenant, async (deps) => {
        const created = await deps.tenantService.rotateKey(options.tenant, options.key, {
          gracePeriodMinutes: options.graceMinutes,
          name: options.name,
        });
        printCreated(created, options.json);
      });
    });

  apiKeys
    .command('revoke')
    .description('revoke a key now (running servers refuse it within SIGIL_AUTH_CACHE_TTL_MS)')
    .requiredOption('--tenant <tenantId>', 'the tenant')
    .requiredOption('--key <keyId>', 'the key to revoke')
    .action(async (options: { tenant: string; key: string }) => {
      await withTenant(options.tenant, async (deps) => {
        await deps.tenantService.revokeKey(options.tenant, options.key);
        console.log(JSON.stringify({ revoked: options.key }));
      });
    });
}

function printCreated(created: object, json: boolean | undefined): void {
  if (json) {
    console.log(JSON.stringify(created));
    return;
  }
  for (const [k, v] of Object.entries(created)) console.log(`${k.padEnd(12)} ${v ?? '-'}`);
  console.error('The secret is shown only this once: store it now.');
}

function keyKind(value: string): ApiKeyKind {
  if (value !== 'server' && value !== 'management') throw new InvalidArgumentError('must be server or management');
  return value;
}

function label(value: string): string {
  const name = value.trim();
  if (name === '' || name.length > 100) throw new InvalidArgumentError('must be 1 to 100 characters');
  return name;
}

function graceMinutes(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > MAX_GRACE_MINUTES) {
    throw new InvalidArgumentError(`must be a whole number from 0 to ${MAX_GRACE_MINUTES}`);
  }
  return n;
}

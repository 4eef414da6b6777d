import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError } from 'commander';
import { loadConfig } from '../config.js';
import { createDeps, createLogger } from '../deps.js';
import { ApiError } from '../errors.js';
import { iso } from '../lib/clock.js';
import { provisionOperator } from '../modules/operators/accounts.js';
import { isRole, type Role } from '../modules/operators/roles.js';
import { migrate } from '../storage/db.js';

/**
 * `sigil admin create`: the first portal account of a production deployment (or any other). The
 * password never appears in the command line, where `ps` and shell history would keep it: it is read
 * from standard input with --password-stdin, or else a one-time sign-in link (24 hours) is printed.
 */
export function registerAdminCommands(program: Command): void {
  const admin = program.command('admin').description('manage portal operator accounts');
  admin
    .command('create')
    .description(
      'create a portal account (or find it by email) and make it a member of a tenant; prints a one-time ' +
        'sign-in link unless --password-stdin',
    )
    .requiredOption('--email <email>', "the operator's email")
    .requiredOption('--role <role>', 'owner, admin, developer, support or viewer', role)
    .option('--tenant <tenantId>', 'the tenant (default: the only one)')
    .option('--password-stdin', 'read the password (at least 12 characters) from standard input')
    .option('--json', 'print one JSON object')
    .action(
      async (options: { email: string; role: Role; tenant?: string; passwordStdin?: boolean; json?: boolean }) => {
        const password = options.passwordStdin ? readPassword() : undefined;
        const config = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' });
        const deps = await createDeps(config, { logger: createLogger(config, 2) });
        try {
          await migrate(deps.db);
          const tenantId = await chooseTenant(deps.tenantService, options.tenant);
          const made = await provisionOperator(deps.operators, {
            email: options.email,
            password,
            tenantId,
            role: options.role,
          }).catch((err: unknown) => {
            throw err instanceof ApiError ? new Error(err.description, { cause: err }) : err;
          });
          const out = {
            accountId: made.accountId,
            email: made.email,
            tenantId: made.tenantId,
            role: made.role,
            created: made.created,
            ...(made.link ? { link: made.link.url, linkExpiresAt: iso(made.link.expiresAt) } : {}),
          };
          if (options.json) console.log(JSON.stringify(out));
          else {
            console.log(`${made.created ? 'Created' : 'Updated'} ${made.email}: ${made.role} of tenant ${tenantId}.`);
            if (made.link) console.log(`One-time sign-in link (until ${out.linkExpiresAt}):\n  ${made.link.url}`);
          }
        } finally {
          await deps.close();
        }
      },
    );
}

function role(value: string): Role {
  if (!isRole(value)) throw new InvalidArgumentError('must be owner, admin, developer, support or viewer');
  return value;
}

/** The whole of standard input, less the newline that `echo` and here-strings add. */
function readPassword(): string {
  if (process.stdin.isTTY) throw new Error('--password-stdin reads a piped password: printf %s "$PW" | sigil admin …');
  return readFileSync(0, 'utf8').replace(/\r?\n$/, '');
}

async function chooseTenant(
  tenants: { exists(id: string): Promise<boolean>; list(): Promise<{ tenantId: string }[]> },
  given: string | undefined,
): Promise<string> {
  if (given) {
    if (!(await tenants.exists(given))) throw new Error(`no tenant ${given}`);
    return given;
  }
  const all = await tenants.list();
  if (all.length === 1 && all[0]) return all[0].tenantId;
  if (all.length === 0) throw new Error('there is no tenant yet: run sigil tenant create --name <name> first');
  throw new Error(`there are ${all.length} tenants: name one with --tenant <tenantId>`);
}

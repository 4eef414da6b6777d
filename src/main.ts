import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { createDeps, type Deps, type DepsOverrides } from './deps.js';
import { DAY_MS } from './lib/clock.js';
import { bootstrapDevOperator } from './modules/operators/bootstrap.js';
import { linkUrl } from './modules/operators/operators.js';
import { schedulePurge } from './modules/sessions/purge.js';
import { migrate } from './storage/db.js';

/** Expired counters are kept this long past their window, so a sweep never races a request that reads one. */
const COUNTER_GRACE_MS = 60_000;
/** Decision records are kept 90 days: the shadow report and the message log read the last 7 to 30. */
const DECISION_RETENTION_MS = 90 * 24 * 3_600_000;
const HOURLY_FOLD_MS = 1_000;

export interface RunningServer {
  app: FastifyInstance;
  deps: Deps;
  /** The address it listens on, for example http://127.0.0.1:8080. */
  url: string;
  close(): Promise<void>;
}

/** Loads dependencies, migrates, creates the development tenant on first start, and listens. */
export async function startServer(config: Readonly<Config>, overrides: DepsOverrides = {}): Promise<RunningServer> {
  const deps = await createDeps(config, overrides);
  // The development tenant's banner names the API URL, known for certain only once the server listens.
  let pendingBanner: (() => void) | undefined;
  try {
    await migrate(deps.db);
    if (config.bootstrapDevTenant && (await deps.tenantService.count()) === 0) {
      const tenant = await deps.tenantService.create('Development');
      pendingBanner = () => printDevTenant(deps.publicUrls.apiUrl, tenant);
    }
    const devOperatorTenant = config.bootstrapDevTenant ? (await deps.tenantService.list())[0] : undefined;
    const devLinkToken = devOperatorTenant && (await bootstrapDevOperator(deps.operators, devOperatorTenant.tenantId));
    const app = await buildApp(deps);
    const address = await app.listen({ host: config.host, port: config.port });
    // With PORT=0 the OS picks the port: the URLs handed out (token issuer, hosted UI, receipts) carry it.
    if (!deps.publicUrls.known) deps.publicUrls.bind(address);
    pendingBanner?.();
    const portalUrl = `${deps.publicUrls.base}/portal/`;
    if (devLinkToken) printDevOperator(linkUrl(deps.publicUrls.base, devLinkToken));
    // The test suite starts hundreds of servers; their output stays quiet.
    if (config.env !== 'test') process.stdout.write(`Portal: ${portalUrl}\n`);
    deps.logger.info(
      { address, database: deps.dbKind, apiUrl: deps.publicUrls.apiUrl, portalUrl },
      'Sigil is listening',
    );
    const purge = schedulePurge(
      (signal) => deps.sessionService.purge({ retentionMs: config.sessions.retentionDays * DAY_MS, signal }),
      deps.logger,
      config.sessions.purgeIntervalMs,
    );
    // Counters whose window has ended would start afresh anyway; the sweep keeps the table small.
    const counterSweep = schedulePurge(
      async () => ({
        counters: await deps.limitsStore.purgeCounters(deps.clock.now() - COUNTER_GRACE_MS, 10_000),
        decisions: await deps.limitsStore.purgeDecisions(deps.clock.now() - DECISION_RETENTION_MS, 10_000),
        // Ended portal sessions and expired links, kept as long as end users' sessions are.
        operatorSessions: await deps.operators.sessions.purgeEnded(
          deps.clock.now() - config.sessions.retentionDays * DAY_MS,
          10_000,
        ),
      }),
      deps.logger,
      config.sessions.purgeIntervalMs,
      {
        purged: 'purged expired limit counters, old decision records and ended portal sessions',
        failed: 'limit purge failed; the next sweep will try again',
      },
    );
    const auditSweep = schedulePurge(
      async (signal) => ({ auditEntries: await deps.auditLog.purge(config.audit.retentionDays * DAY_MS, signal) }),
      deps.logger,
      config.sessions.purgeIntervalMs,
      {
        purged: 'purged audit-log entries past their retention',
        failed: 'audit-log purge failed; the next sweep will try again',
      },
    );
    // The dashboard's hourly counts: each send, receipt and verification writes a delta; this folds them in.
    // Nothing is logged: a fold every second is routine, and a failed one leaves the deltas for the next.
    const hourlyFold = schedulePurge(
      async () => {
        await deps.transaction((tx) => tx.sms.foldHourly(5_000));
        return {};
      },
      deps.logger,
      HOURLY_FOLD_MS,
      { purged: '', failed: 'folding the SMS hourly counts failed; the next fold will try again' },
    );
    let closing: Promise<void> | undefined;
    const close = () => {
      // The sweeps end (between two batches) before the database closes.
      closing ??= Promise.all([
        purge.stop(),
        counterSweep.stop(),
        auditSweep.stop(),
        hourlyFold.stop(),
        app.close(),
      ]).then(() => deps.close());
      return closing;
    };
    return { app, deps, url: address.replace('[::1]', '127.0.0.1'), close };
  } catch (err) {
    await deps.close();
    throw err;
  }
}

/** Stops accepting connections, lets requests in flight finish, then closes the database. */
export function closeOnSignals(server: RunningServer): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      server.deps.logger.info({ signal }, 'shutting down');
      server.close().then(
        () => process.exit(0),
        (err) => {
          server.deps.logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}

function printDevTenant(apiUrl: string, t: { tenantId: string; apiSecretKey: string; managementSecretKey: string }) {
  // Printed to stdout once, on purpose: this is the only time the secrets exist in plain text.
  process.stdout.write(
    [
      '',
      'Created a development tenant. The secrets below are shown only this once:',
      `  tenantId:             ${t.tenantId}`,
      `  apiSecretKey:         ${t.apiSecretKey}`,
      `  managementSecretKey:  ${t.managementSecretKey}`,
      `  apiUrl:               ${apiUrl}`,
      '',
      `  new Authsignal({ apiSecretKey: "${t.apiSecretKey}", apiUrl: "${apiUrl}" })`,
      '',
      '',
    ].join('\n'),
  );
}

function printDevOperator(link: string) {
  // The link signs in once, within 24 hours, and sets the password; `sigil admin create` makes another.
  process.stdout.write(
    [
      'Created the portal account admin@localhost (owner). Sign in once with this link, within 24 hours:',
      `  ${link}`,
      '',
      '',
    ].join('\n'),
  );
}

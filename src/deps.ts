import { Redis } from 'ioredis';
import pino, { type Logger } from 'pino';
import type { Config } from './config.js';
import type { OperatorAuthenticator } from './http/management-auth.js';
import { type Clock, systemClock } from './lib/clock.js';
import { Keyring } from './lib/crypto.js';
import { cryptoRandom, type Random } from './lib/random.js';
import { ActionConfigService } from './modules/actions/config-service.js';
import { ActionConfigStore } from './modules/actions/config-store.js';
import { DeviceStore } from './modules/actions/device-store.js';
import { ActionStore } from './modules/actions/store.js';
import { type ActivityReads, createActivityReads } from './modules/activity/reads.js';
import { AuditLog } from './modules/audit/service.js';
import { AuditStore } from './modules/audit/store.js';
import { ChallengeStore } from './modules/challenges/store.js';
import { AdaptivePrefixDefence } from './modules/limits/adaptive.js';
import { type Counters, DatabaseCounters, RedisCounters } from './modules/limits/counters.js';
import type { AdaptiveDefence } from './modules/limits/guard.js';
import { SmsPolicyService } from './modules/limits/policy-service.js';
import { LimitsStore } from './modules/limits/store.js';
import { Metrics } from './modules/metrics/metrics.js';
import { OperatorAccountStore } from './modules/operators/account-store.js';
import { PortalOperatorAuthenticator } from './modules/operators/authenticator.js';
import type { OperatorContext } from './modules/operators/context.js';
import { Passwords } from './modules/operators/passwords.js';
import { OperatorSessionStore } from './modules/operators/session-store.js';
import { createReportingReads, type ReportingReads } from './modules/reporting/reads.js';
import { SessionService } from './modules/sessions/service.js';
import { SessionStore } from './modules/sessions/store.js';
import { SmsConfigService } from './modules/sms/config-service.js';
import { SmsDispatcher } from './modules/sms/dispatcher.js';
import { devInbox } from './modules/sms/inbox.js';
import type { ProviderContext } from './modules/sms/providers/provider.js';
import { receiptUrl } from './modules/sms/receipt-url.js';
import { SmsStore } from './modules/sms/store.js';
import { MessageSettingsService } from './modules/sms/templates/settings.js';
import { TenantService } from './modules/tenants/service.js';
import { TenantStore } from './modules/tenants/store.js';
import { TokenService } from './modules/tokens/service.js';
import { SigningKeyStore } from './modules/tokens/store.js';
import { UserService } from './modules/users/service.js';
import { UserStore } from './modules/users/store.js';
import { PublicUrls } from './public-urls.js';
import { type Db, type DbKind, openDatabase } from './storage/db.js';
import { transactions, type UnitOfWork } from './storage/transactions.js';

/** The stores a unit of work hands out, all bound to its transaction. */
export interface TxStores {
  challenges: ChallengeStore;
  actions: ActionStore;
  devices: DeviceStore;
  users: UserStore;
  sessions: SessionStore;
  sms: SmsStore;
  limits: LimitsStore;
}

/**
 * Everything the app needs, built once: the composition root. Route plugins take it whole, because
 * they wire; each use case declares the slice it uses (`Pick<Deps, …>` or its own interface), so what a
 * use case can touch is written at its top. Tests build it with their own clock, randomness and database.
 */
export interface Deps {
  /** With the transaction guard on, a query through it while a unit of work is open fails at once. */
  db: Db;
  dbKind: DbKind;
  config: Readonly<Config>;
  publicUrls: PublicUrls;
  clock: Clock;
  random: Random;
  keyring: Keyring;
  logger: Logger;
  /** The one way to open a transaction: `transaction(async (tx) => …)` with stores bound to it. */
  transaction: UnitOfWork<TxStores>;
  challengeStore: ChallengeStore;
  actionStore: ActionStore;
  deviceStore: DeviceStore;
  smsStore: SmsStore;
  limitsStore: LimitsStore;
  /** The activity pages' reads (issue 11), each on its own module's tables. */
  activityReads: ActivityReads;
  reportingReads: ReportingReads;
  /** The counters behind every limit: Redis with REDIS_URL, else the database. */
  counters: Counters;
  /** Conversion-based prefix blocking, on the same counters. */
  adaptive: AdaptiveDefence;
  smsPolicies: SmsPolicyService;
  userService: UserService;
  tenantService: TenantService;
  tokenService: TokenService;
  sessionService: SessionService;
  actionConfigs: ActionConfigService;
  smsProviders: SmsConfigService;
  smsDispatcher: SmsDispatcher;
  messageTemplates: MessageSettingsService;
  /** Every write through the Management API and the portal, masked (src/modules/audit). */
  auditLog: AuditLog;
  /** Portal operators: accounts, sessions, MFA, links and team (src/modules/operators). */
  operators: OperatorContext;
  /** The Management API's portal-session authentication. */
  operatorAuth: OperatorAuthenticator;
  /** Prometheus metrics on this app's own registry (src/modules/metrics). */
  metrics: Metrics;
  close(): Promise<void>;
}

export interface DepsOverrides {
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  db?: { db: Db; kind: DbKind };
}

/** Secrets that must never reach a log line, whatever a caller passes to the logger. */
export const LOG_REDACT_PATHS = ['req.headers.authorization', 'headers.authorization', '*.apiSecretKey', '*.password'];

/** Logs to stdout for the server; the CLI passes 2, since its stdout is its answer. */
export function createLogger(config: Readonly<Config>, fd = 1): Logger {
  return pino(
    { level: config.logLevel, redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' } },
    pino.destination({ fd, sync: true }),
  );
}

function storesOn(db: Db): TxStores {
  return {
    challenges: new ChallengeStore(db),
    actions: new ActionStore(db),
    devices: new DeviceStore(db),
    users: new UserStore(db),
    sessions: new SessionStore(db),
    sms: new SmsStore(db),
    limits: new LimitsStore(db),
  };
}

export async function createDeps(config: Readonly<Config>, overrides: DepsOverrides = {}): Promise<Deps> {
  const clock = overrides.clock ?? systemClock;
  const random = overrides.random ?? cryptoRandom;
  const logger = overrides.logger ?? createLogger(config);
  const opened =
    overrides.db ??
    (await openDatabase({
      url: config.databaseUrl,
      schema: config.databaseSchema,
      sqliteSynchronous: config.sqliteSynchronous,
    }));
  const { storesDb: db, transaction } = transactions(opened.db, storesOn, config.transactionGuard);
  const stores = storesOn(db);
  const publicUrls = new PublicUrls(config.publicUrl);
  const keyring = new Keyring(config.masterKey);
  const tokenService = new TokenService(
    new SigningKeyStore(db),
    keyring,
    clock,
    random,
    publicUrls,
    config.tokenTtlSeconds,
  );
  const tenantService = new TenantService(
    new TenantStore(db),
    tokenService,
    keyring,
    clock,
    random,
    config.authCacheTtlMs,
    (err) => logger.warn({ err }, 'could not record an API key use'),
  );
  const smsProviders = new SmsConfigService(stores.sms, keyring, config, clock, random);
  const providerContext: ProviderContext = {
    now: () => clock.now(),
    uuid: () => random.uuid(),
    serverSecrets: (tenantId) => tenantService.serverSecrets(tenantId),
    policy: {
      allowLoopback: config.sms.webhookAllowLoopback,
      allowPrivateNetworks: config.sms.webhookAllowPrivateNetworks,
    },
    receiptUrl: (type, tenantId) => receiptUrl(publicUrls, keyring, type, tenantId),
    devInbox: devInbox(
      stores.sms,
      { production: config.env === 'production', logMessages: config.sms.devLogMessages },
      logger,
      clock,
      random,
    ),
  };
  const metrics = new Metrics(config.metrics.enabled);
  const smsDispatcher = new SmsDispatcher(smsProviders, providerContext, clock, random, logger, {
    metrics,
    timeoutMs: config.sms.timeoutMs,
    attemptsPerProvider: config.sms.attemptsPerProvider,
    sendBudgetMs: config.sms.sendBudgetMs,
    breakerFailures: config.sms.breakerFailures,
    breakerCooldownMs: config.sms.breakerCooldownMs,
  });
  metrics.watchBreakers(smsDispatcher);
  const userService = new UserService(stores.users, transaction, clock, random);
  // Every command ends within commandTimeout, queued or sent: a Redis that is down, unreachable or hung
  // (it accepts the connection and never answers) fails the limit check, and the guard answers 503.
  // Commands wait in the offline queue only while connecting, so the first sends after start succeed.
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, {
        lazyConnect: false,
        maxRetriesPerRequest: 1,
        connectTimeout: 2_000,
        commandTimeout: 3_000,
      })
    : undefined;
  // A Redis that drops is logged; each limit check that cannot reach it fails its request (a 503), never passes it.
  redis?.on('error', (err) => logger.warn({ err }, 'Redis connection error'));
  const counters: Counters = redis
    ? new RedisCounters(redis, config.redisKeyPrefix)
    : new DatabaseCounters(stores.limits, clock);
  const operators: OperatorContext = {
    accounts: new OperatorAccountStore(db, opened.kind),
    sessions: new OperatorSessionStore(db),
    passwords: new Passwords(),
    keyring,
    clock,
    random,
    counters,
    tenants: tenantService,
    publicUrls,
    requireMfa: config.portalRequireMfa,
  };
  return {
    db,
    dbKind: opened.kind,
    config,
    publicUrls,
    clock,
    random,
    keyring,
    logger,
    transaction,
    challengeStore: stores.challenges,
    actionStore: stores.actions,
    deviceStore: stores.devices,
    smsStore: stores.sms,
    limitsStore: stores.limits,
    activityReads: createActivityReads(db),
    reportingReads: createReportingReads(db),
    counters,
    adaptive: new AdaptivePrefixDefence(counters, clock),
    smsPolicies: new SmsPolicyService(stores.limits, clock, config.authCacheTtlMs, config.otp.maxSendsPerNumberPerHour),
    userService,
    tenantService,
    tokenService,
    sessionService: new SessionService(stores.sessions, stores.actions, userService, tokenService, clock, random),
    actionConfigs: new ActionConfigService(new ActionConfigStore(db), clock, random, config.authCacheTtlMs),
    smsProviders,
    smsDispatcher,
    messageTemplates: new MessageSettingsService(stores.sms, config, clock),
    auditLog: new AuditLog(new AuditStore(db), clock, random),
    operators,
    operatorAuth: new PortalOperatorAuthenticator(operators),
    metrics,
    close: async () => {
      redis?.disconnect();
      await opened.db.destroy();
    },
  };
}

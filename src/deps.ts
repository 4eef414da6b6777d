import pino, { type Logger } from 'pino';
import type { Config } from './config.js';
import { type Clock, systemClock } from './lib/clock.js';
import { Keyring } from './lib/crypto.js';
import { cryptoRandom, type Random } from './lib/random.js';
import { ActionConfigService } from './modules/actions/config-service.js';
import { ActionConfigStore } from './modules/actions/config-store.js';
import { DeviceStore } from './modules/actions/device-store.js';
import { ActionStore } from './modules/actions/store.js';
import type { ChallengeDeps } from './modules/challenges/deps.js';
import { ChallengeStore } from './modules/challenges/store.js';
import { SessionService } from './modules/sessions/service.js';
import { SessionStore } from './modules/sessions/store.js';
import { SmsConfigService } from './modules/sms/config-service.js';
import { SmsDispatcher } from './modules/sms/dispatcher.js';
import { receiptUrl } from './modules/sms/receipt-url.js';
import { MessageSettingsService } from './modules/sms/templates/settings.js';
import { TenantService } from './modules/tenants/service.js';
import { TenantStore } from './modules/tenants/store.js';
import { TokenService } from './modules/tokens/service.js';
import { SigningKeyStore } from './modules/tokens/store.js';
import { UserService } from './modules/users/service.js';
import { UserStore } from './modules/users/store.js';
import { type Db, type DbKind, openDatabase } from './storage/db.js';

/** Everything the app needs, built once. Tests build it with their own clock, randomness and database. */
export interface Deps extends ChallengeDeps {
  dbKind: DbKind;
  actionConfig: ActionConfigService;
  devices: DeviceStore;
  logger: Logger;
  tenants: TenantService;
  smsConfig: SmsConfigService;
  sessions: SessionService;
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
export function createLogger(config: Config, fd = 1): Logger {
  return pino(
    { level: config.logLevel, redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' } },
    pino.destination({ fd, sync: true }),
  );
}

export async function createDeps(config: Config, overrides: DepsOverrides = {}): Promise<Deps> {
  const clock = overrides.clock ?? systemClock;
  const random = overrides.random ?? cryptoRandom;
  const logger = overrides.logger ?? createLogger(config);
  const { db, kind } =
    overrides.db ??
    (await openDatabase({
      url: config.databaseUrl,
      schema: config.databaseSchema,
      sqliteSynchronous: config.sqliteSynchronous,
    }));
  const keyring = new Keyring(config.masterKey);
  const tokens = new TokenService(
    new SigningKeyStore(db),
    keyring,
    clock,
    random,
    config.apiUrl,
    config.tokenTtlSeconds,
  );
  const tenants = new TenantService(new TenantStore(db), tokens, keyring, clock, random, config.authCacheTtlMs);
  const smsConfig = new SmsConfigService(db, keyring, config, clock);
  const providerContext = {
    config,
    db,
    logger,
    now: () => clock.now(),
    uuid: () => random.uuid(),
    serverSecrets: (tenantId: string) => tenants.serverSecrets(tenantId),
    policy: {
      allowLoopback: config.sms.webhookAllowLoopback,
      allowPrivateNetworks: config.sms.webhookAllowPrivateNetworks,
    },
    // config.apiUrl is read at call time: a test server learns its port only after listening.
    receiptUrl: (type: string, tenantId: string) => receiptUrl(config.apiUrl, keyring, type, tenantId),
  };
  const sms = new SmsDispatcher(smsConfig, providerContext, clock, random, logger, {
    timeoutMs: config.sms.timeoutMs,
    attemptsPerProvider: config.sms.attemptsPerProvider,
    sendBudgetMs: config.sms.sendBudgetMs,
    breakerFailures: config.sms.breakerFailures,
    breakerCooldownMs: config.sms.breakerCooldownMs,
  });
  return {
    db,
    dbKind: kind,
    config,
    clock,
    random,
    keyring,
    logger,
    tenants,
    tokens,
    smsConfig,
    sms,
    messages: new MessageSettingsService(db, config, clock),
    users: new UserService(new UserStore(db), clock, random),
    challenges: new ChallengeStore(db),
    actions: new ActionStore(db),
    actionConfig: new ActionConfigService(new ActionConfigStore(db), clock, random, config.authCacheTtlMs),
    devices: new DeviceStore(db),
    sessions: new SessionService(new SessionStore(db), new ActionStore(db), new UserStore(db), tokens, clock, random),
    close: () => db.destroy(),
  };
}

import { createHash } from 'node:crypto';
import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  circuitBreaker,
  ExponentialBackoff,
  handleWhen,
  type IBackoff,
} from 'cockatiel';
import type { Logger } from 'pino';
import { ApiError, errorCatalogue } from '../../errors.js';
import type { Clock } from '../../lib/clock.js';
import { maskPhone } from '../../lib/phone.js';
import type { Random } from '../../lib/random.js';
import type { SmsSendRow } from '../../storage/schema.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ProviderConfig, SmsConfigService } from './config-service.js';
import { providerDefinition } from './providers/index.js';
import {
  type ProviderContext,
  type SendResult,
  type SmsMessage,
  type SmsProvider,
  SmsSendError,
} from './providers/provider.js';
import { segmentCount } from './templates/segments.js';

export interface DispatchOptions {
  /** Per request. */
  timeoutMs: number;
  attemptsPerProvider: number;
  /** For the whole message, every provider included. */
  sendBudgetMs: number;
  breakerFailures: number;
  breakerCooldownMs: number;
  /** Counts each attempt and its duration (src/modules/metrics). */
  metrics?: Pick<Metrics, 'smsSendAttempt'>;
  /** Waits between retries; injected so that tests control time. */
  sleep?: (ms: number) => Promise<void>;
}

export interface Delivery extends SendResult {
  provider: string;
  /** Every attempt made, for the caller to store with the challenge in one transaction. */
  attempts: SmsSendRow[];
}

/** Delivery failed; `attempts` still has to be stored, so that the failure can be seen later. */
export class DeliveryError extends ApiError {
  constructor(
    base: ApiError,
    readonly attempts: SmsSendRow[],
  ) {
    super(base.code, base.description, { cause: base.cause });
  }
}

/** Breakers kept per process: one per tenant and provider config; old ones go past this many. */
const MAX_BREAKERS = 10_000;

/** A provider's breaker and what its last failure was, for `GET /v1/management/sms-providers/health`. */
interface Breaker {
  policy: CircuitBreakerPolicy;
  provider: string;
  openedAt?: number;
  lastFailureAt?: number;
  /** The failure's reason word (auth_failed, http_503, timeout): never the vendor's text, which may echo a number. */
  lastReason?: string;
}

/** One provider's circuit as this process sees it. */
export interface BreakerHealth {
  breaker: 'closed' | 'open' | 'half_open';
  lastFailureAt: number | null;
  lastReason: string | null;
}

/**
 * Sends one message through the tenant's providers in order (sms-providers.md §1):
 * - every request has a timeout, and all of it fits in `sendBudgetMs`, short next to the code's lifetime;
 * - transient failures are retried with exponential backoff and jitter, waiting at least `Retry-After`;
 *   a wait that would overrun the budget fails over at once instead;
 * - a route failure (credentials, configuration, funds) or spent retries fail over to the next provider;
 * - a number failure (invalid, opted out) stops at once: no provider will deliver to it;
 * - a provider whose messages keep failing is skipped for a while by its circuit breaker (cockatiel).
 * The same message, with the same code, goes to every provider tried: a retry never makes a new code.
 * The dispatcher writes nothing itself; it returns the attempts for the caller to store.
 */
export class SmsDispatcher {
  private readonly breakers = new Map<string, Breaker>();
  private readonly configDigests = new WeakMap<ProviderConfig, string>();
  private readonly backoff = new ExponentialBackoff({ initialDelay: 200, maxDelay: 2_000 });
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly configs: SmsConfigService,
    private readonly context: ProviderContext,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly logger: Logger,
    private readonly options: DispatchOptions,
  ) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async send(message: SmsMessage): Promise<Delivery> {
    const providers = await this.configs.list(message.tenantId);
    if (providers.length === 0) {
      throw new ApiError(
        'invalid_configuration',
        'No SMS provider is configured for this tenant. Configure one with PUT /v1/management/sms-providers.',
      );
    }
    const deadline = this.clock.now() + this.options.sendBudgetMs;
    const attempts: SmsSendRow[] = [];
    const failures: string[] = [];
    let lastFailure: unknown;
    for (const [index, config] of providers.entries()) {
      const provider = this.create(config);
      if (!provider) continue;
      try {
        const result = await this.breakerFor(message.tenantId, index, config).policy.execute(() =>
          this.sendWithRetries(provider, message, deadline, attempts),
        );
        return { ...result, provider: config.type, attempts };
      } catch (err) {
        if (err instanceof BrokenCircuitError) {
          attempts.push(this.row(message, config.type, attempts, 'skipped', null, 'circuit_open', this.clock.now()));
          failures.push(`${config.type} is skipped for now after repeated failures`);
          lastFailure = err;
          continue;
        }
        const failure = normalise(err);
        if (failure.kind === 'number') {
          throw new DeliveryError(
            new ApiError('invalid_request', scrub(failure.message, message), { cause: failure }),
            attempts,
          );
        }
        failures.push(scrub(failure.message, message));
        lastFailure = failure;
      }
    }
    throw new DeliveryError(
      new ApiError('sms_delivery_failed', `${errorCatalogue.sms_delivery_failed.message} ${failures.join('; ')}`, {
        cause: lastFailure,
      }),
      attempts,
    );
  }

  /**
   * One provider alone, with its retries but without failover or its breaker: for
   * `POST /v1/management/sms-providers/test`, which must show how this provider answers.
   */
  async sendThrough(
    config: ProviderConfig,
    message: SmsMessage,
  ): Promise<{ result?: SendResult; error?: SmsSendError; attempts: SmsSendRow[] }> {
    const provider = this.create(config);
    if (!provider) throw new ApiError('invalid_request', `Unknown provider type ${config.type}`);
    const attempts: SmsSendRow[] = [];
    try {
      const result = await this.sendWithRetries(
        provider,
        message,
        this.clock.now() + this.options.sendBudgetMs,
        attempts,
      );
      return { result, attempts };
    } catch (err) {
      return { error: normalise(err), attempts };
    }
  }

  private create(config: ProviderConfig): SmsProvider | undefined {
    return providerDefinition(config.type)?.create(config, this.context);
  }

  private async sendWithRetries(
    provider: SmsProvider,
    message: SmsMessage,
    deadline: number,
    attempts: SmsSendRow[],
  ): Promise<SendResult> {
    let backoff: IBackoff<unknown> | undefined = this.backoff.next();
    for (let tries = 1; ; tries++) {
      const started = this.clock.now();
      const timeout = Math.min(this.options.timeoutMs, deadline - started);
      let failure: SmsSendError;
      try {
        if (timeout <= 0) throw new SmsSendError('retryable', 'budget_spent', 'The time for sending this code ran out');
        const result = await provider.send(message, { signal: AbortSignal.timeout(timeout) });
        attempts.push(this.row(message, provider.type, attempts, 'accepted', result.providerMessageId, null, started));
        return result;
      } catch (err) {
        failure = normalise(err);
        if (!(err instanceof SmsSendError)) this.logger.error({ err, provider: provider.type }, 'SMS provider threw');
      }
      attempts.push(this.row(message, provider.type, attempts, failure.kind, null, failure.reason, started));
      this.logger.warn(
        {
          provider: provider.type,
          kind: failure.kind,
          reason: failure.reason,
          to: maskPhone(message.to),
          challengeId: message.challengeId,
        },
        'SMS send failed',
      );
      if (failure.kind !== 'retryable' || tries >= this.options.attemptsPerProvider || !backoff) throw failure;
      const wait = Math.max(backoff.duration, failure.retryAfterMs ?? 0);
      // Waiting past the budget would leave no time to fail over: hand over to the next provider now.
      if (this.clock.now() + wait >= deadline) throw failure;
      backoff = backoff.next(undefined);
      await this.sleep(wait);
    }
  }

  /**
   * The circuit of each of a tenant's providers in this process (breakers are per process). An open
   * circuit whose cooldown has passed reports `half_open`: the next message will test the provider.
   */
  health(tenantId: string, configs: ProviderConfig[]): BreakerHealth[] {
    return configs.map((config, index) => {
      const breaker = this.breakers.get(this.breakerKey(tenantId, index, config));
      if (!breaker) return { breaker: 'closed', lastFailureAt: null, lastReason: null };
      const state = breaker.policy.state;
      const cooled = Date.now() - (breaker.openedAt ?? 0) >= this.options.breakerCooldownMs;
      return {
        breaker:
          state === CircuitState.HalfOpen || (state === CircuitState.Open && cooled)
            ? 'half_open'
            : state === CircuitState.Closed
              ? 'closed'
              : 'open',
        lastFailureAt: breaker.lastFailureAt ?? null,
        lastReason: breaker.lastReason ?? null,
      };
    });
  }

  /** Every breaker of this process, for the metrics gauge. */
  breakerStates(): { provider: string; state: BreakerHealth['breaker'] }[] {
    const cooled = (b: Breaker) => Date.now() - (b.openedAt ?? 0) >= this.options.breakerCooldownMs;
    return [...this.breakers.values()].map((b) => ({
      provider: b.provider,
      state:
        b.policy.state === CircuitState.Closed
          ? 'closed'
          : b.policy.state === CircuitState.Open && !cooled(b)
            ? 'open'
            : 'half_open',
    }));
  }

  private breakerKey(tenantId: string, index: number, config: ProviderConfig): string {
    // Keyed by the config itself, so that fixing a provider's credentials starts a fresh breaker.
    let digest = this.configDigests.get(config);
    if (!digest) {
      digest = createHash('sha256').update(JSON.stringify(config)).digest('base64url');
      this.configDigests.set(config, digest); // configs are cached objects: hash each once, not per send
    }
    return `${tenantId}:${index}:${digest}`;
  }

  private breakerFor(tenantId: string, index: number, config: ProviderConfig): Breaker {
    const key = this.breakerKey(tenantId, index, config);
    let breaker = this.breakers.get(key);
    if (!breaker) {
      if (this.breakers.size >= MAX_BREAKERS) this.breakers.delete(this.breakers.keys().next().value as string);
      const policy = circuitBreaker(
        // A bad number says nothing about the provider's health.
        handleWhen((err) => !(err instanceof SmsSendError && err.kind === 'number')),
        {
          halfOpenAfter: this.options.breakerCooldownMs,
          breaker: new ConsecutiveBreaker(this.options.breakerFailures),
        },
      );
      const entry: Breaker = { policy, provider: config.type };
      policy.onBreak(() => {
        entry.openedAt = Date.now(); // the breaker's own clock
        this.logger.warn(
          { tenantId, provider: config.type, index },
          'SMS provider circuit opened: skipping it for now',
        );
      });
      policy.onFailure(({ reason, handled }) => {
        if (!handled) return; // a bad number, which says nothing about the provider
        entry.lastFailureAt = this.clock.now();
        entry.lastReason = 'error' in reason ? normalise(reason.error).reason : 'unexpected';
      });
      policy.onReset(() => this.logger.info({ tenantId, provider: config.type, index }, 'SMS provider circuit closed'));
      breaker = entry;
      this.breakers.set(key, breaker);
    }
    return breaker;
  }

  private row(
    message: SmsMessage,
    provider: string,
    attempts: SmsSendRow[],
    outcome: string,
    providerMessageId: string | null,
    error: string | null,
    started: number,
  ): SmsSendRow {
    const now = this.clock.now();
    this.options.metrics?.smsSendAttempt(message.tenantId, provider, outcome, Math.max(0, now - started) / 1000);
    return {
      id: this.random.uuid(),
      tenant_id: message.tenantId,
      challenge_id: message.challengeId,
      provider,
      attempt: attempts.length + 1,
      outcome,
      provider_message_id: providerMessageId,
      error,
      latency_ms: Math.max(0, now - started),
      created_at: now,
      // The destination's country and prefix come from the send's decision record (SmsStore.recordAttempts).
      country: null,
      prefix: null,
      user_id: message.userId,
      segments: segmentCount(message.body),
      status: outcome === 'accepted' ? 'sent' : 'failed',
      status_at: null,
      status_reason: null,
      verified_at: null,
    };
  }
}

function normalise(err: unknown): SmsSendError {
  if (err instanceof SmsSendError) return err;
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return new SmsSendError('retryable', 'timeout', 'The SMS provider did not answer in time', undefined, {
      cause: err,
    });
  }
  if (err instanceof ApiError) return new SmsSendError('route', err.code, err.description, undefined, { cause: err });
  return new SmsSendError('retryable', 'unexpected', 'The SMS provider failed unexpectedly', undefined, { cause: err });
}

/**
 * A vendor's error text goes to the API caller and, for a 502, to the log: it must not carry the code or
 * the full number, whatever the vendor echoed back.
 */
function scrub(text: string, message: SmsMessage): string {
  return text.split(message.code).join('[code]').split(message.to).join(maskPhone(message.to));
}

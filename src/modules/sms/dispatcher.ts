import type { Logger } from 'pino';
import { ApiError } from '../../errors.js';
import type { Clock } from '../../lib/clock.js';
import { maskPhone } from '../../lib/phone.js';
import type { Random } from '../../lib/random.js';
import type { Db } from '../../storage/db.js';
import type { SmsSendRow } from '../../storage/schema.js';
import type { SmsConfigService } from './config-service.js';
import { providerDefinitions } from './providers/index.js';
import { type ProviderContext, type SendResult, type SmsMessage, SmsSendError } from './providers/provider.js';

export interface DispatchOptions {
  timeoutMs: number;
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
    super(base.code, base.description, base.status);
  }
}

/**
 * Sends one message through the tenant's providers in order. A provider that fails for a reason of its
 * own (down, misconfigured, refused) hands over to the next one; a failure that is about the number
 * stops at once. The same message, with the same code, goes to every provider tried: a retry never
 * makes a new code. The dispatcher writes nothing itself; it returns the attempts for the caller to store.
 */
export class SmsDispatcher {
  constructor(
    private readonly configs: SmsConfigService,
    private readonly context: ProviderContext,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly logger: Logger,
    private readonly options: DispatchOptions,
  ) {}

  async send(message: SmsMessage): Promise<Delivery> {
    const providers = await this.configs.list(message.tenantId);
    if (providers.length === 0) {
      throw new ApiError(
        'invalid_configuration',
        'No SMS provider is configured for this tenant. Configure one with PUT /v1/management/sms-providers.',
        400,
      );
    }
    const attempts: SmsSendRow[] = [];
    const failures: string[] = [];
    for (const config of providers) {
      const definition = providerDefinitions[config.type];
      if (!definition) continue;
      const provider = definition.create(config, this.context);
      const started = this.clock.now();
      try {
        const result = await this.attempt(() =>
          provider.send(message, { signal: AbortSignal.timeout(this.options.timeoutMs) }),
        );
        attempts.push(
          this.attemptRow(
            message,
            config.type,
            attempts.length + 1,
            'accepted',
            result.providerMessageId,
            null,
            started,
          ),
        );
        return { ...result, provider: config.type, attempts };
      } catch (err) {
        const failure =
          err instanceof SmsSendError
            ? err
            : new SmsSendError('retryable', 'unexpected', 'The provider failed unexpectedly');
        if (!(err instanceof SmsSendError)) this.logger.error({ err, provider: config.type }, 'SMS provider threw');
        attempts.push(
          this.attemptRow(message, config.type, attempts.length + 1, failure.kind, null, failure.reason, started),
        );
        this.logger.warn(
          {
            provider: config.type,
            reason: failure.reason,
            to: maskPhone(message.to),
            challengeId: message.challengeId,
          },
          'SMS send failed',
        );
        if (failure.kind === 'number')
          throw new DeliveryError(new ApiError('invalid_request', failure.message), attempts);
        failures.push(failure.message);
      }
    }
    throw new DeliveryError(
      new ApiError('sms_delivery_failed', `The code could not be delivered. ${failures.join('; ')}`),
      attempts,
    );
  }

  /** The provider's own timeout is enforced by its AbortSignal; this only normalises abort errors. */
  private async attempt(run: () => Promise<SendResult>): Promise<SendResult> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
        throw new SmsSendError('retryable', 'timeout', 'The SMS provider did not answer in time');
      }
      throw err;
    }
  }

  private attemptRow(
    message: SmsMessage,
    provider: string,
    attempt: number,
    outcome: string,
    providerMessageId: string | null,
    error: string | null,
    started: number,
  ): SmsSendRow {
    const now = this.clock.now();
    return {
      id: this.random.uuid(),
      tenant_id: message.tenantId,
      challenge_id: message.challengeId,
      provider,
      attempt,
      outcome,
      provider_message_id: providerMessageId,
      error,
      latency_ms: Math.max(0, now - started),
      created_at: now,
    };
  }
}

/** Stores send attempts, inside the caller's transaction when one is given. */
export async function recordAttempts(db: Db, attempts: SmsSendRow[]): Promise<void> {
  if (attempts.length > 0) await db.insertInto('sms_sends').values(attempts).execute();
}

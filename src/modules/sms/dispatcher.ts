import type { Logger } from 'pino';
import { ApiError } from '../../errors.js';
import type { Clock } from '../../lib/clock.js';
import { maskPhone } from '../../lib/phone.js';
import type { Random } from '../../lib/random.js';
import type { Db } from '../../storage/db.js';
import type { SmsConfigService } from './config-service.js';
import { providerDefinitions } from './providers/index.js';
import { type ProviderContext, type SendResult, type SmsMessage, SmsSendError } from './providers/provider.js';

export interface DispatchOptions {
  timeoutMs: number;
}

/**
 * Sends one message through the tenant's providers in order. A provider that fails for a reason of its
 * own (down, misconfigured, refused) hands over to the next one; a failure that is about the number
 * stops at once. Each attempt is recorded in `sms_sends`. The same message, with the same code, goes to
 * every provider tried: a retry never makes a new code.
 */
export class SmsDispatcher {
  constructor(
    private readonly db: Db,
    private readonly configs: SmsConfigService,
    private readonly context: ProviderContext,
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly logger: Logger,
    private readonly options: DispatchOptions,
  ) {}

  async send(message: SmsMessage): Promise<SendResult & { provider: string }> {
    const providers = await this.configs.list(message.tenantId);
    if (providers.length === 0) {
      throw new ApiError(
        'invalid_configuration',
        'No SMS provider is configured for this tenant. Configure one with PUT /v1/management/sms-providers.',
        400,
      );
    }
    const failures: string[] = [];
    for (const [index, config] of providers.entries()) {
      const definition = providerDefinitions[config.type];
      if (!definition) continue;
      const provider = definition.create(config, this.context);
      const started = this.clock.now();
      try {
        const result = await this.attempt(() =>
          provider.send(message, { signal: AbortSignal.timeout(this.options.timeoutMs) }),
        );
        await this.record(message, config.type, index + 1, 'accepted', result.providerMessageId, null, started);
        return { ...result, provider: config.type };
      } catch (err) {
        const failure =
          err instanceof SmsSendError
            ? err
            : new SmsSendError('retryable', 'unexpected', 'The provider failed unexpectedly');
        if (!(err instanceof SmsSendError)) this.logger.error({ err, provider: config.type }, 'SMS provider threw');
        await this.record(message, config.type, index + 1, failure.kind, null, failure.reason, started);
        this.logger.warn(
          {
            provider: config.type,
            reason: failure.reason,
            to: maskPhone(message.to),
            challengeId: message.challengeId,
          },
          'SMS send failed',
        );
        if (failure.kind === 'number') throw new ApiError('invalid_request', failure.message);
        failures.push(failure.message);
      }
    }
    throw new ApiError('sms_delivery_failed', `The code could not be delivered. ${failures.join('; ')}`);
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

  private async record(
    message: SmsMessage,
    provider: string,
    attempt: number,
    outcome: string,
    providerMessageId: string | null,
    error: string | null,
    started: number,
  ): Promise<void> {
    await this.db
      .insertInto('sms_sends')
      .values({
        id: this.random.uuid(),
        tenant_id: message.tenantId,
        challenge_id: message.challengeId,
        provider,
        attempt,
        outcome,
        provider_message_id: providerMessageId,
        error,
        latency_ms: Math.max(0, this.clock.now() - started),
        created_at: this.clock.now(),
      })
      .execute();
  }
}

import type { Logger } from 'pino';
import type { Config } from '../../../config.js';
import type { Db } from '../../../storage/db.js';

/** One SMS to send. `code` travels with it because some providers (the webhook) deliver the code, not the text. */
export interface SmsMessage {
  tenantId: string;
  challengeId: string;
  /** E.164. */
  to: string;
  body: string;
  code: string;
  userId: string | null;
  idempotencyKey: string;
  actionCode: string;
  locale: string | null;
}

export interface SendResult {
  providerMessageId: string;
}

/**
 * A failed send, classified so that the dispatcher knows what to do next:
 * - `retryable`: a transient fault (429, 5xx, network, timeout); retry or fail over.
 * - `route`: this provider cannot deliver anything now (auth, configuration, funds); fail over.
 * - `number`: the destination itself is bad (invalid, opted out); stop and tell the caller.
 */
export class SmsSendError extends Error {
  constructor(
    readonly kind: 'retryable' | 'route' | 'number',
    readonly reason: string,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'SmsSendError';
  }
}

export interface SmsProvider {
  readonly type: string;
  send(message: SmsMessage, options: { signal: AbortSignal }): Promise<SendResult>;
}

export interface ProviderContext {
  config: Config;
  db: Db;
  logger: Logger;
  now(): number;
  uuid(): string;
  /** The tenant's active API secret keys, which sign webhook payloads. */
  serverSecrets(tenantId: string): Promise<string[]>;
}

/** How a provider type is configured: validate a stored config, mask it for display, build a sender. */
export interface ProviderDefinition<C extends { type: string } = { type: string }> {
  type: string;
  /** Throws an invalid_request ApiError that names the bad field. */
  parse(raw: Record<string, unknown>, config: Config): C;
  mask(config: C): Record<string, unknown>;
  create(config: C, context: ProviderContext): SmsProvider;
}

import type { TObject } from '@sinclair/typebox';
import type { NetworkPolicy } from '../../../lib/outbound-guard.js';

/** One SMS to send. `code` travels with it because some providers (the webhook) deliver the code, not the text. */
export interface SmsMessage {
  tenantId: string;
  challengeId: string;
  /**
   * Names this sending of a code: the same across retries and failover, new for each resend. Vendors
   * that take a client message ID (TNZ) get it, so that a retry after an ambiguous timeout can be
   * recognised as the same message.
   */
  sendId: string;
  /** E.164. */
  to: string;
  body: string;
  code: string;
  userId: string | null;
  idempotencyKey: string;
  actionCode: string;
  locale: string | null;
  /** When the code expires (ms): vendors that can drop a late message are told to, since a late code is useless. */
  expiresAt: number;
}

export interface SendResult {
  providerMessageId: string;
}

/**
 * A failed send, classified so that the dispatcher knows what to do next:
 * - `retryable`: a transient fault (429, 5xx, network, timeout); retry, then fail over.
 * - `route`: this provider cannot deliver anything now (auth, configuration, funds); fail over.
 * - `number`: the destination itself is bad (invalid, opted out); stop and tell the caller.
 * `reason` is a short machine-readable word (sms-providers.md §1), stored with the attempt.
 */
export class SmsSendError extends Error {
  constructor(
    readonly kind: 'retryable' | 'route' | 'number',
    readonly reason: string,
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SmsSendError';
  }
}

export interface SmsProvider {
  readonly type: string;
  send(message: SmsMessage, options: { signal: AbortSignal }): Promise<SendResult>;
}

/**
 * What a vendor adapter may use, and nothing more: no database, no logger, no configuration. Every
 * outcome travels back to the dispatcher as a result or an SmsSendError, which it records and logs.
 */
export interface ProviderContext {
  now(): number;
  uuid(): string;
  /** The tenant's active API secret keys, which sign webhook payloads. */
  serverSecrets(tenantId: string): Promise<string[]>;
  /** Where outbound requests may connect (SSRF guard): vendor base URLs and webhook URLs are tenant input. */
  policy: NetworkPolicy;
  /** The public URL at which this tenant receives this provider type's delivery receipts. */
  receiptUrl(type: string, tenantId: string): string;
  /** Where the dev provider "sends": the development inbox. Returns the stored message's ID. */
  devInbox(message: SmsMessage): Promise<string>;
}

/** What checking a stored or submitted config depends on. */
export interface ParseRules {
  /** NODE_ENV=production: the dev provider is refused. */
  production: boolean;
  /** Whether a vendor base URL may be plain http on a loopback host (local fakes, development). */
  allowLoopback: boolean;
}

/** A delivery callback as it arrived, for an adapter to authenticate and read. */
export interface InboundReceipt {
  /** The public URL that the vendor posted to (what Twilio and Bird sign), query included. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
}

export type DeliveryStatus = 'sent' | 'delivered' | 'failed';

export interface DeliveryReceipt {
  providerMessageId: string;
  status: DeliveryStatus;
  /** The vendor's own status word and error code, shown in the delivery timeline. */
  vendorStatus: string;
  errorCode?: string;
  /** Identifies this callback, so that a replayed or retried one changes nothing. */
  dedupeKey: string;
}

/** The callback was not signed, or not signed by anyone who holds this tenant's credentials. */
export class ReceiptRefused extends Error {}

/** How a provider type is configured: validate a stored config, mask it for display, build a sender. */
export interface ProviderDefinition<C extends { type: string } = { type: string }> {
  type: string;
  /** The vendor's name as an operator knows it: `Twilio`, `MessageMedia`. */
  title: string;
  /**
   * The JSON Schema (TypeBox) of a config under these rules: what `parse` validates with, and what
   * `GET /v1/management/sms-providers/schemas` publishes. Secret fields are `writeOnly`.
   */
  schema(rules: ParseRules): TObject;
  /** What an operator does with the receipt URL, for vendors with receipts. */
  receiptHelp?: string;
  /** Validates with `schema`, then fills defaults. Throws an invalid_request ApiError that names the bad field. */
  parse(raw: Record<string, unknown>, rules: ParseRules): C;
  mask(config: C): Record<string, unknown>;
  create(config: C, context: ProviderContext): SmsProvider;
  /**
   * Reads a delivery receipt. The router has already checked the secret token in the receipt URL;
   * a vendor that signs its callbacks has that signature checked here too, against each of the tenant's
   * configs of this type. Throws ReceiptRefused for a bad signature; returns [] for a callback that
   * carries no status Sigil tracks (an inbound reply, say).
   */
  readReceipt?(req: InboundReceipt, configs: C[], now: number): DeliveryReceipt[];
}

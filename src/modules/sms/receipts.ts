import { ApiError, notFound } from '../../errors.js';
import type { Clock } from '../../lib/clock.js';
import type { Keyring } from '../../lib/crypto.js';
import type { Random } from '../../lib/random.js';
import type { PublicUrls } from '../../public-urls.js';
import type { UnitOfWork } from '../../storage/transactions.js';
import type { Metrics } from '../metrics/metrics.js';
import type { SmsConfigService } from './config-service.js';
import { providerDefinition } from './providers/index.js';
import { type DeliveryReceipt, type InboundReceipt, ReceiptRefused } from './providers/provider.js';
import { validReceiptToken } from './receipt-url.js';
import type { SmsStore } from './store.js';

export interface ReceiptDeps {
  keyring: Keyring;
  clock: Clock;
  random: Random;
  publicUrls: PublicUrls;
  smsProviders: SmsConfigService;
  smsStore: SmsStore;
  transaction: UnitOfWork<{ sms: SmsStore }>;
  metrics?: Pick<Metrics, 'deliveryReceipt'>;
}

/** A receipt as it reached `POST /v1/sms-receipts/:type/:tenantId/:token`. */
export interface ReceiptRequest {
  type: string;
  tenantId: string;
  token: string;
  /** The request target, path and query, as received: with the public base, it is what the vendor signed. */
  target: string;
  headers: InboundReceipt['headers'];
  rawBody: Buffer;
}

/**
 * Authenticates a vendor's delivery report and stores what it says. No API key: the secret token in the
 * URL authenticates the vendor, and a vendor that signs its callbacks (Twilio, Bird) must sign this one
 * too, with the credentials of one of the tenant's configs of its type.
 */
export async function acceptReceipt(
  d: ReceiptDeps,
  req: ReceiptRequest,
  onRefused: (reason: string) => void,
): Promise<{ received: number; stored: number }> {
  const definition = providerDefinition(req.type);
  if (!definition?.readReceipt) throw notFound(`${req.type} does not send delivery receipts to Sigil`);
  if (!validReceiptToken(d.keyring, req.tenantId, req.type, req.token)) {
    throw new ApiError('unauthorized', 'This receipt URL is not valid');
  }
  const configs = (await d.smsProviders.list(req.tenantId)).filter((c) => c.type === req.type);
  if (configs.length === 0) throw notFound(`No ${req.type} provider is configured`);
  const inbound = { url: d.publicUrls.absolute(req.target), headers: req.headers, rawBody: req.rawBody };
  let receipts: DeliveryReceipt[];
  try {
    receipts = definition.readReceipt(inbound, configs, d.clock.now());
  } catch (err) {
    if (err instanceof ReceiptRefused) {
      onRefused(err.message);
      throw new ApiError('unauthorized', `The receipt's signature is not valid: ${err.message}`, { cause: err });
    }
    throw new ApiError('invalid_request', 'The receipt could not be read', { cause: err });
  }
  const stored = await recordReceipts(d, req.tenantId, req.type, receipts, d.clock.now(), () => d.random.uuid());
  return { received: receipts.length, stored };
}

/**
 * Stores delivery receipts, each once: a vendor retrying a callback, or anyone replaying a captured
 * one, finds its dedupe key taken and changes nothing. Receipts are matched to send attempts by the
 * vendor's message ID when the timeline is read, so a receipt that beats the challenge's own commit
 * (a fast vendor) is not lost.
 */
async function recordReceipts(
  { transaction, metrics }: Pick<ReceiptDeps, 'transaction' | 'metrics'>,
  tenantId: string,
  provider: string,
  receipts: DeliveryReceipt[],
  now: number,
  uuid: () => string,
): Promise<number> {
  let stored = 0;
  for (const r of receipts) {
    const receipt = {
      id: uuid(),
      tenantId,
      provider,
      providerMessageId: storable(r.providerMessageId, 200),
      status: r.status,
      vendorStatus: storable(r.vendorStatus, 100),
      errorCode: r.errorCode === undefined ? null : storable(r.errorCode, 100),
      dedupeKey: storable(r.dedupeKey, 300),
      receivedAt: now,
    };
    // The receipt and its attempt's status (what the message log and dashboard read) commit together.
    const inserted = await transaction(async (tx) => {
      if (!(await tx.sms.insertReceipt(receipt))) return false;
      if (r.status !== 'sent') {
        await tx.sms.applyFinalReceipt({
          tenant_id: tenantId,
          provider,
          provider_message_id: receipt.providerMessageId,
          status: receipt.status,
          vendor_status: receipt.vendorStatus,
          error_code: receipt.errorCode,
          received_at: now,
        });
      }
      return true;
    });
    if (!inserted) continue;
    stored++;
    metrics?.deliveryReceipt(r.status);
  }
  return stored;
}

/**
 * A vendor's text as a column can hold it: cut to `max`, without NUL, which PostgreSQL refuses in text.
 * Receipts of some vendors are unsigned, so anyone holding the URL can send any bytes.
 */
function storable(text: string, max: number): string {
  return text.replaceAll('\u0000', '').slice(0, max);
}

export interface TimelineEntry {
  attempt: number;
  provider: string;
  outcome: string;
  error: string | null;
  providerMessageId: string | null;
  latencyMs: number;
  createdAt: string;
  /** From receipts: delivered or failed once final, sent before that; null until a receipt arrives. */
  deliveryStatus: string | null;
  receipts: { status: string; vendorStatus: string; errorCode: string | null; receivedAt: string }[];
}

/** A challenge's send attempts, oldest first, each with the receipts its vendor sent. */
export async function deliveryTimeline(
  store: SmsStore,
  tenantId: string,
  challengeId: string,
): Promise<TimelineEntry[]> {
  const sends = await store.attemptsOf(tenantId, challengeId);
  const receipts = await store.receiptsFor(tenantId, sends);
  return sends.map((s) => {
    const own = receipts.filter((r) => r.provider === s.provider && r.provider_message_id === s.provider_message_id);
    // Receipts can arrive out of order: a final status wins over `sent`, whenever each came.
    const final = [...own].reverse().find((r) => r.status !== 'sent');
    return {
      attempt: s.attempt,
      provider: s.provider,
      outcome: s.outcome,
      error: s.error,
      providerMessageId: s.provider_message_id,
      latencyMs: Number(s.latency_ms),
      createdAt: new Date(Number(s.created_at)).toISOString(),
      deliveryStatus: final?.status ?? (own.length > 0 ? 'sent' : null),
      receipts: own.map((r) => ({
        status: r.status,
        vendorStatus: r.vendor_status,
        errorCode: r.error_code,
        receivedAt: new Date(Number(r.received_at)).toISOString(),
      })),
    };
  });
}

import type { Db } from '../../storage/db.js';
import type { SmsReceiptRow } from '../../storage/schema.js';
import type { DeliveryReceipt } from './providers/provider.js';

/**
 * Stores delivery receipts, each once: a vendor retrying a callback, or anyone replaying a captured
 * one, finds its dedupe key taken and changes nothing. Receipts are matched to send attempts by the
 * vendor's message ID when the timeline is read, so a receipt that beats the challenge's own commit
 * (a fast vendor) is not lost.
 */
export async function recordReceipts(
  db: Db,
  tenantId: string,
  provider: string,
  receipts: DeliveryReceipt[],
  now: number,
  uuid: () => string,
): Promise<number> {
  let stored = 0;
  for (const r of receipts) {
    const result = await db
      .insertInto('sms_receipts')
      .values({
        id: uuid(),
        tenant_id: tenantId,
        provider,
        provider_message_id: storable(r.providerMessageId, 200),
        status: r.status,
        vendor_status: storable(r.vendorStatus, 100),
        error_code: r.errorCode === undefined ? null : storable(r.errorCode, 100),
        dedupe_key: storable(r.dedupeKey, 300),
        received_at: now,
      })
      .onConflict((oc) => oc.columns(['tenant_id', 'provider', 'dedupe_key']).doNothing())
      .executeTakeFirst();
    stored += Number(result.numInsertedOrUpdatedRows ?? 0n);
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
export async function deliveryTimeline(db: Db, tenantId: string, challengeId: string): Promise<TimelineEntry[]> {
  const sends = await db
    .selectFrom('sms_sends')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('challenge_id', '=', challengeId)
    .orderBy('created_at')
    .orderBy('attempt')
    .execute();
  const ids = sends.map((s) => s.provider_message_id).filter((id): id is string => id !== null);
  const receipts: SmsReceiptRow[] =
    ids.length === 0
      ? []
      : await db
          .selectFrom('sms_receipts')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('provider_message_id', 'in', ids)
          .orderBy('received_at')
          .execute();
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

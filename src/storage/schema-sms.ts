/** The SMS module's send attempts, receipts and the dashboard's hourly counts (see schema.ts for the rules). */

export interface SmsSendRow {
  id: string;
  tenant_id: string;
  challenge_id: string;
  provider: string;
  attempt: number;
  outcome: string;
  provider_message_id: string | null;
  error: string | null;
  latency_ms: number;
  created_at: number;
  /** ISO 3166 alpha-2 and calling code + two digits, from the send's decision record (migration 013). */
  country: string | null;
  prefix: string | null;
  user_id: string | null;
  /** SMS parts of the message; null for attempts stored before migration 013. */
  segments: number | null;
  /** sent | delivered | failed: failed at the vendor, or by the carrier's final receipt. */
  status: string;
  /** When the final receipt came (delivery latency is status_at - created_at). */
  status_at: number | null;
  /** The final receipt's error code or vendor status, when it failed. */
  status_reason: string | null;
  /** Set on the challenge's last accepted attempt when its code is verified. */
  verified_at: number | null;
}

/** Send attempts counted by hour and by everything the dashboard groups by (migration 013). */
export interface SmsHourlyRow {
  tenant_id: string;
  /** The attempt's created_at in whole hours since the epoch. */
  hour: number;
  country: string;
  prefix: string;
  provider: string;
  status: string;
  accepted: number;
  verified: number;
  /** The delivery-latency bucket (sms/hourly.ts), -1 when not delivered. */
  bucket: number;
  /** A failed attempt's reason word or receipt error; empty otherwise. */
  reason: string;
  count: number;
  segments: number;
}

/** A change to an hourly cell not folded into it yet (sms/hourly.ts). */
export interface SmsHourlyDeltaRow extends SmsHourlyRow {
  id: string;
}

/** A tenant's optional price table for the dashboard's estimated cost (migration 013). */
export interface SmsPriceRow {
  tenant_id: string;
  currency: string;
  /** JSON: ISO 3166 alpha-2 → price of one segment. */
  per_segment: string;
  default_price: number | null;
  updated_at: number;
}

export interface SmsReceiptRow {
  id: string;
  tenant_id: string;
  provider: string;
  provider_message_id: string;
  status: string;
  vendor_status: string;
  error_code: string | null;
  dedupe_key: string;
  received_at: number;
}

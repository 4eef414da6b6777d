import type { Db } from '../../storage/db.js';
import type { DevInboxRow, SmsReceiptRow, SmsSendRow } from '../../storage/schema.js';
import { countIn, foldDeltas } from './hourly.js';
import { providerDefinition } from './providers/index.js';

export interface NewReceipt {
  id: string;
  tenantId: string;
  provider: string;
  providerMessageId: string;
  status: string;
  vendorStatus: string;
  errorCode: string | null;
  dedupeKey: string;
  receivedAt: number;
}

/**
 * Every table of the SMS module: provider lists and message settings (one document per tenant each),
 * send attempts, delivery receipts and the development inbox. Documents are compared on their whole
 * text when written conditionally, so a concurrent edit is detected rather than lost.
 */
export class SmsStore {
  constructor(private readonly db: Db) {}

  async providersDocument(tenantId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('sms_provider_configs')
      .select('providers_enc')
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return row?.providers_enc;
  }

  async putProvidersDocument(tenantId: string, providersEnc: string, now: number): Promise<void> {
    await this.db
      .insertInto('sms_provider_configs')
      .values({ tenant_id: tenantId, providers_enc: providersEnc, updated_at: now })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ providers_enc: providersEnc, updated_at: now }))
      .execute();
  }

  async messageSettings(tenantId: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('sms_message_settings')
      .select('settings')
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return row?.settings;
  }

  async putMessageSettings(tenantId: string, settings: string, now: number): Promise<void> {
    await this.db
      .insertInto('sms_message_settings')
      .values({ tenant_id: tenantId, settings, updated_at: now })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ settings, updated_at: now }))
      .execute();
  }

  /**
   * Writes `settings` only if the stored document is still `expected` (undefined: none stored yet).
   * True when this call wrote it.
   */
  async swapMessageSettings(
    tenantId: string,
    expected: string | undefined,
    settings: string,
    now: number,
  ): Promise<boolean> {
    const written =
      expected === undefined
        ? (
            await this.db
              .insertInto('sms_message_settings')
              .values({ tenant_id: tenantId, settings, updated_at: now })
              .onConflict((oc) => oc.column('tenant_id').doNothing())
              .executeTakeFirst()
          ).numInsertedOrUpdatedRows
        : (
            await this.db
              .updateTable('sms_message_settings')
              .set({ settings, updated_at: now })
              .where('tenant_id', '=', tenantId)
              .where('settings', '=', expected)
              .executeTakeFirst()
          ).numUpdatedRows;
    return Number(written ?? 0n) > 0;
  }

  /**
   * The dispatcher's attempts, stored by the caller in the challenge's transaction, with the destination's
   * country and prefix from the send's decision record, and counted in the dashboard's hourly cells. A final
   * receipt that came before this commit (a fast vendor) is applied here, since its own update found no row.
   */
  async recordAttempts(
    attempts: SmsSendRow[],
    destination: { country: string | null; prefix: string | null },
  ): Promise<void> {
    if (attempts.length === 0) return;
    const rows = attempts.map((a) => ({ ...a, country: destination.country, prefix: destination.prefix }));
    await this.db.insertInto('sms_sends').values(rows).execute();
    await countIn(
      this.db,
      rows.map((row) => [row, 1]),
    );
    // Only vendors that send receipts can have sent one already (not dev, nor a webhook).
    const receipting = rows.filter((a) => providerDefinition(a.provider)?.readReceipt !== undefined);
    for (const r of await this.receiptsFor(rows[0]?.tenant_id ?? '', receipting)) {
      if (r.status !== 'sent') await this.applyFinalReceipt(r);
    }
  }

  /**
   * A delivered or failed receipt sets its attempt's status, the latest to arrive winning as on the timeline,
   * and moves the attempt to its new hourly cell. The update is conditional on the status it read, so two
   * receipts for one message at once cannot both move it: the loser reads again.
   */
  async applyFinalReceipt(
    r: Pick<
      SmsReceiptRow,
      'tenant_id' | 'provider' | 'provider_message_id' | 'status' | 'vendor_status' | 'error_code' | 'received_at'
    >,
  ): Promise<void> {
    const next = {
      status: r.status,
      status_at: r.received_at,
      status_reason: r.status === 'failed' ? (r.error_code ?? r.vendor_status) : null,
    };
    for (let tries = 0; tries < 5; tries++) {
      const rows = await this.db
        .selectFrom('sms_sends')
        .selectAll()
        .where('tenant_id', '=', r.tenant_id)
        .where('provider', '=', r.provider)
        .where('provider_message_id', '=', r.provider_message_id)
        .execute();
      let raced = false;
      for (const row of rows) {
        if (row.status_at !== null && Number(row.status_at) > r.received_at) continue;
        if (!(await this.swap(row, next))) raced = true;
      }
      if (!raced) return;
    }
  }

  /** The challenge's code was verified: its last accepted attempt is the one that converted. */
  async markVerified(tenantId: string, challengeId: string, now: number): Promise<void> {
    const last = (await this.attemptsOf(tenantId, challengeId)).filter((a) => a.outcome === 'accepted').at(-1);
    // verify's conditional markVerified lets one request through per challenge; the swap makes sure anyway.
    if (last && last.verified_at === null) await this.swap(last, { verified_at: now });
  }

  /** Changes an attempt only if it is still as read, and moves it between hourly cells; false if it was not. */
  private async swap(row: SmsSendRow, change: Partial<SmsSendRow>): Promise<boolean> {
    let update = this.db
      .updateTable('sms_sends')
      .set(change)
      .where('tenant_id', '=', row.tenant_id)
      .where('id', '=', row.id)
      .where('status', '=', row.status);
    update =
      row.status_at === null ? update.where('status_at', 'is', null) : update.where('status_at', '=', row.status_at);
    update =
      row.verified_at === null
        ? update.where('verified_at', 'is', null)
        : update.where('verified_at', '=', row.verified_at);
    const result = await update.executeTakeFirst();
    if (Number(result.numUpdatedRows) === 0) return false;
    await countIn(this.db, [
      [row, -1],
      [{ ...row, ...change }, 1],
    ]);
    return true;
  }

  /** Folds pending changes into the dashboard's hourly cells; in a transaction (sms/hourly.ts). */
  foldHourly(limit: number): Promise<number> {
    return foldDeltas(this.db, limit);
  }

  /** A challenge's send attempts, oldest first. */
  async attemptsOf(tenantId: string, challengeId: string): Promise<SmsSendRow[]> {
    const rows = await this.db
      .selectFrom('sms_sends')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('challenge_id', '=', challengeId)
      .execute();
    return rows.sort(byTime);
  }

  /** Stores a receipt unless its dedupe key is taken; true when this call stored it. */
  async insertReceipt(r: NewReceipt): Promise<boolean> {
    const result = await this.db
      .insertInto('sms_receipts')
      .values({
        id: r.id,
        tenant_id: r.tenantId,
        provider: r.provider,
        provider_message_id: r.providerMessageId,
        status: r.status,
        vendor_status: r.vendorStatus,
        error_code: r.errorCode,
        dedupe_key: r.dedupeKey,
        received_at: r.receivedAt,
      })
      .onConflict((oc) => oc.columns(['tenant_id', 'provider', 'dedupe_key']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  /**
   * The receipts for these attempts' vendor message IDs, in the order they arrived. Provider and message ID
   * both go to SQL, so that the lookup is on the index sms_receipts_message rather than every receipt of the
   * tenant.
   */
  async receiptsFor(
    tenantId: string,
    sends: Pick<SmsSendRow, 'provider' | 'provider_message_id'>[],
  ): Promise<SmsReceiptRow[]> {
    const ids = sends.map((s) => s.provider_message_id).filter((id): id is string => id !== null);
    if (ids.length === 0) return [];
    return this.db
      .selectFrom('sms_receipts')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('provider', 'in', [...new Set(sends.map((s) => s.provider))])
      .where('provider_message_id', 'in', ids)
      .orderBy('received_at')
      .execute();
  }

  async writeInbox(message: DevInboxRow): Promise<void> {
    await this.db.insertInto('dev_inbox').values(message).execute();
  }

  /** The newest inbox messages, of one tenant or (for the CLI) all, optionally to one number. */
  async readInbox(tenantId: string | undefined, q: { to?: string; limit: number }): Promise<DevInboxRow[]> {
    let query = this.db.selectFrom('dev_inbox').selectAll();
    if (tenantId) query = query.where('tenant_id', '=', tenantId);
    if (q.to) query = query.where('to', '=', q.to);
    return query.orderBy('created_at', 'desc').limit(q.limit).execute();
  }
}

/**
 * Oldest first, ties by attempt number. Sorted here, not in SQL: an ORDER BY on created_at tempts SQLite to
 * walk the tenant's time index (sms_sends_time) backwards instead of the challenge's few rows, which cost a
 * sign-in flow a fifth of its time before this was measured.
 */
function byTime(a: SmsSendRow, b: SmsSendRow): number {
  return Number(a.created_at) - Number(b.created_at) || a.attempt - b.attempt;
}

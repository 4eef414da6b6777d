import { iso } from '../../lib/clock.js';
import type { Db } from '../../storage/db.js';

/** A tenant's price of one SMS segment per destination country, for the dashboard's estimated cost. */
export interface PriceTable {
  currency: string;
  perSegment: Record<string, number>;
  /** For countries the table does not list; null: those are left out of the estimate. */
  default: number | null;
}

/** The reporting module's one table, `sms_prices`: at most one price table per tenant. */
export class PriceStore {
  constructor(private readonly db: Db) {}

  async get(tenantId: string): Promise<(PriceTable & { updatedAt: number }) | undefined> {
    const row = await this.db.selectFrom('sms_prices').selectAll().where('tenant_id', '=', tenantId).executeTakeFirst();
    if (!row) return undefined;
    return {
      currency: row.currency,
      perSegment: JSON.parse(row.per_segment) as Record<string, number>,
      default: row.default_price === null ? null : Number(row.default_price),
      updatedAt: Number(row.updated_at),
    };
  }

  async put(tenantId: string, table: PriceTable, now: number): Promise<void> {
    const values = {
      currency: table.currency,
      per_segment: JSON.stringify(table.perSegment),
      default_price: table.default,
      updated_at: now,
    };
    await this.db
      .insertInto('sms_prices')
      .values({ tenant_id: tenantId, ...values })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet(values))
      .execute();
  }
}

/** The price of one segment to `country`, or undefined when the table has none for it. */
export function segmentPrice(table: PriceTable | undefined, country: string): number | undefined {
  if (!table) return undefined;
  return table.perSegment[country] ?? table.default ?? undefined;
}

export function priceReply(table: (PriceTable & { updatedAt: number }) | undefined) {
  if (!table) return { currency: null, perSegment: {}, default: null, updatedAt: null };
  return { ...table, updatedAt: iso(table.updatedAt) };
}

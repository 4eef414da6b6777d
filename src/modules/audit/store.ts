import type { Db } from '../../storage/db.js';
import type { AuditLogRow } from '../../storage/schema.js';

/** What a page of the log may be narrowed to; every member is optional but the tenant. */
export interface AuditQuery {
  tenantId: string;
  actorId?: string | undefined;
  actorEmail?: string | undefined;
  /** This action and every action under it: `sms-providers` matches `sms-providers.update`. */
  action?: string | undefined;
  /** Inclusive lower and exclusive upper bounds on `at`, in ms. */
  from?: number | undefined;
  to?: number | undefined;
  /** The last entry of the previous page: the page holds entries strictly older than it. */
  after?: { at: number; id: string } | undefined;
  limit: number;
}

/** The audit_log table; only this module reads or writes it. */
export class AuditStore {
  constructor(private readonly db: Db) {}

  async insert(row: AuditLogRow): Promise<void> {
    await this.db.insertInto('audit_log').values(row).execute();
  }

  /**
   * Newest first, by keyset on (at, id), never OFFSET: a page costs the same however deep it is, and an
   * entry written meanwhile neither repeats nor skips one. Each filter has an index ending in (at, id).
   */
  async page(q: AuditQuery): Promise<AuditLogRow[]> {
    let query = this.db.selectFrom('audit_log').selectAll().where('tenant_id', '=', q.tenantId);
    if (q.actorId !== undefined) query = query.where('actor_id', '=', q.actorId);
    if (q.actorEmail !== undefined) query = query.where('actor_email', '=', q.actorEmail);
    if (q.action !== undefined) {
      const action = q.action;
      // The caller allows only [a-z0-9.-] in an action, so the pattern holds no LIKE wildcard.
      query = query.where((eb) => eb.or([eb('action', '=', action), eb('action', 'like', `${action}.%`)]));
    }
    if (q.from !== undefined) query = query.where('at', '>=', q.from);
    if (q.to !== undefined) query = query.where('at', '<', q.to);
    const after = q.after;
    if (after) query = query.where((eb) => eb(eb.refTuple('at', 'id'), '<', eb.tuple(after.at, after.id)));
    return query.orderBy('at', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
  }

  /** Deletes up to `limit` entries older than `cutoff`, across tenants; returns how many. */
  async purge(cutoff: number, limit: number): Promise<number> {
    const result = await this.db
      .deleteFrom('audit_log')
      .where('id', 'in', (eb) => eb.selectFrom('audit_log').select('id').where('at', '<', cutoff).limit(limit))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}

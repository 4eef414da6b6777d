import type { Db } from '../../storage/db.js';
import { phoneInput } from '../users/phone-input.js';

/** The newest messages that the dev provider "sent", for `sigil dev inbox` and the dev HTTP route. */
export async function readInbox(db: Db, tenantId: string | undefined, q: { to?: string | undefined; limit: number }) {
  let query = db.selectFrom('dev_inbox').selectAll();
  if (tenantId) query = query.where('tenant_id', '=', tenantId);
  if (q.to) query = query.where('to', '=', phoneInput(q.to, 'to').e164);
  const rows = await query
    .orderBy('created_at', 'desc')
    .limit(Math.min(Math.max(q.limit, 1), 500))
    .execute();
  return rows.map((r) => ({
    tenantId: r.tenant_id,
    challengeId: r.challenge_id,
    to: r.to,
    body: r.body,
    createdAt: new Date(r.created_at).toISOString(),
  }));
}

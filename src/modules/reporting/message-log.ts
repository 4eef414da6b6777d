import { iso } from '../../lib/clock.js';
import { maskPhone } from '../../lib/phone.js';
import type { SmsDecisionRow, SmsSendRow } from '../../storage/schema.js';
import { decodeCursor, paged } from '../activity/cursor.js';
import { defenceInWords } from '../activity/why.js';
import { failureInWords } from '../sms/plain-words.js';
import type { SendFilter } from '../sms/report-queries.js';
import { instant } from './range.js';
import type { ReportingReads } from './reads.js';

export interface MessageLogQuery {
  from?: string | undefined;
  to?: string | undefined;
  status?: SendFilter['status'];
  provider?: string | undefined;
  country?: string | undefined;
  prefix?: string | undefined;
  userId?: string | undefined;
  challengeId?: string | undefined;
  cursor?: string | undefined;
}

type Entry = { at: number; id: string } & ({ send: SmsSendRow } | { refused: SmsDecisionRow });

/**
 * The message log: one row per send attempt and per send Sigil's limits refused, newest first. The two
 * sources are read each on its own index with the same keyset, `limit + 1` rows each, and merged: the
 * page is exact whichever source its rows come from.
 */
export async function messageLog(reads: ReportingReads, tenantId: string, q: MessageLogQuery, limit: number) {
  const filter: SendFilter = {
    from: instant('from', q.from) ?? 0,
    to: instant('to', q.to) ?? Number.MAX_SAFE_INTEGER,
    status: q.status,
    provider: q.provider || undefined,
    country: q.country ? q.country.toUpperCase() : undefined,
    // "+64 21", "6421" and "+6421" name one prefix, stored as its digits.
    prefix: q.prefix ? q.prefix.replace(/\D/g, '') || undefined : undefined,
    userId: q.userId || undefined,
    challengeId: q.challengeId || undefined,
  };
  const before = decodeCursor(q.cursor, { at: 'number', id: 'string' });
  const [sends, refused] = await Promise.all([
    reads.sends.sends(tenantId, filter, before, limit + 1),
    reads.refused.page(tenantId, filter, before, limit + 1),
  ]);
  const merged: Entry[] = [
    ...sends.map((send) => ({ at: Number(send.created_at), id: send.id, send })),
    ...refused.map((r) => ({ at: Number(r.at), id: r.id, refused: r })),
  ].sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const { page, nextCursor } = paged(merged, limit, (e) => ({ at: e.at, id: e.id }));
  const challengeIds = [...new Set(page.map((e) => ('send' in e ? e.send.challenge_id : e.refused.challenge_id)))];
  const phones = await reads.challenges.phonesOf(
    tenantId,
    challengeIds.filter((id): id is string => id !== null),
  );
  return {
    items: page.map((e) => ('send' in e ? sendRow(e.send, phones) : refusedRow(e.refused, phones))),
    nextCursor,
  };
}

function sendRow(s: SmsSendRow, phones: Map<string, string>) {
  const phone = phones.get(s.challenge_id);
  const vendorError = s.error ?? s.status_reason;
  return {
    id: s.id,
    at: iso(Number(s.created_at)),
    phoneNumber: phone ? maskPhone(phone) : '—',
    country: s.country,
    prefix: s.prefix === null ? null : `+${s.prefix}`,
    provider: s.provider,
    status: s.status as 'sent' | 'delivered' | 'failed',
    vendorError,
    reason: s.status === 'failed' ? failureInWords(s.provider, vendorError ?? '', s.outcome === 'accepted') : null,
    challengeId: s.challenge_id,
    userId: s.user_id,
    segments: s.segments === null ? null : Number(s.segments),
  };
}

function refusedRow(r: SmsDecisionRow, phones: Map<string, string>) {
  return {
    id: r.id,
    at: iso(Number(r.at)),
    phoneNumber: maskPhone(r.phone_number),
    country: r.country,
    prefix: `+${r.prefix}`,
    provider: null,
    status: 'refused' as const,
    vendorError: null,
    reason: `Sigil refused it: ${defenceInWords(r.defence ?? '')}`,
    // A first send that was refused made no challenge: there is nothing to open.
    challengeId: r.challenge_id !== null && phones.has(r.challenge_id) ? r.challenge_id : null,
    userId: r.user_id,
    segments: null,
  };
}

import { invalidRequest } from '../../errors.js';
import { DAY_MS } from '../sms/report-queries.js';

/** An ISO 8601 instant from the query; anything else is a 400 that names the parameter. */
export function instant(name: string, text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms)) {
    throw invalidRequest(`${name} must be an ISO 8601 instant, such as 2026-12-01T00:00:00Z`);
  }
  return ms;
}

/**
 * A summary's range: `to` defaults to now and `from` to 7 days before it; at most 31 days, so one summary
 * reads a bounded slice however much history is stored.
 */
export function summaryRange(q: { from?: string | undefined; to?: string | undefined }, now: number) {
  // Exclusive; by default just after now, so that what happened this millisecond is in.
  const to = instant('to', q.to) ?? now + 1;
  const from = instant('from', q.from) ?? to - 7 * DAY_MS;
  if (from >= to) throw invalidRequest('from must be before to');
  if (to - from > 31 * DAY_MS) throw invalidRequest('A summary covers at most 31 days: narrow from and to');
  return { from, to };
}

/** A UTC day number as the date it names: 2026-12-01. */
export const dayName = (day: string) => new Date(Number(day) * DAY_MS).toISOString().slice(0, 10);

import { invalidRequest } from '../../errors.js';
import { DAY_MS, HOUR_MS, iso } from '../../lib/clock.js';

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
 * reads a bounded slice however much history is stored. It is widened to whole UTC hours, the grain the
 * dashboard's counts are kept in (sms/hourly.ts).
 */
export function summaryRange(q: { from?: string | undefined; to?: string | undefined }, now: number) {
  // Exclusive; by default just after now, so that what happened this millisecond is in.
  const to = instant('to', q.to) ?? now + 1;
  const from = instant('from', q.from) ?? to - 7 * DAY_MS;
  if (from >= to) throw invalidRequest('from must be before to');
  if (to - from > 31 * DAY_MS) throw invalidRequest('A summary covers at most 31 days: narrow from and to');
  const fromHour = Math.floor(from / HOUR_MS);
  const toHour = Math.ceil(to / HOUR_MS);
  return { from: fromHour * HOUR_MS, to: toHour * HOUR_MS, fromHour, toHour };
}

/** A UTC day number as the date it names: 2026-12-01. */
export const dayName = (day: string) => iso(Number(day) * DAY_MS).slice(0, 10);

/** The UTC day numbers a range touches, as strings: a by-day summary has a row for each, zeros included. */
export function daysOf(from: number, to: number): string[] {
  const days: string[] = [];
  for (let day = Math.floor(from / DAY_MS); day * DAY_MS < to; day++) days.push(String(day));
  return days;
}

import { invalidRequest } from '../../errors.js';

/** An opaque keyset cursor: the last row's sort key, as base64url JSON. */
export function encodeCursor(key: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The cursor's key, checked member by member against `shape`; a cursor that is not ours is a 400. */
export function decodeCursor<T extends Record<string, 'string' | 'number'>>(
  cursor: string | undefined,
  shape: T,
): { [K in keyof T]: T[K] extends 'number' ? number : string } | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidRequest('cursor is not valid');
  }
  if (!value || typeof value !== 'object') throw invalidRequest('cursor is not valid');
  for (const [name, type] of Object.entries(shape)) {
    if (typeof (value as Record<string, unknown>)[name] !== type) throw invalidRequest('cursor is not valid');
  }
  return value as never;
}

/** The page and the cursor of the next one: one row more than the page was read to know there is one. */
export function paged<T>(rows: T[], limit: number, keyOf: (row: T) => Record<string, string | number>) {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { page, nextCursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null };
}

/** `?limit=` from 1 to 200, default 50 (contracts.md). */
export function pageLimit(text: string | undefined): number {
  if (text === undefined) return 50;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 200) throw invalidRequest('limit must be a whole number from 1 to 200');
  return n;
}

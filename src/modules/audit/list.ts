import { invalidRequest } from '../../errors.js';
import { iso } from '../../lib/clock.js';
import type { AuditLogRow } from '../../storage/schema.js';
import { ACTION_PATTERN, type AuditActor, type AuditLog } from './service.js';

export const AUDIT_PAGE = { min: 1, max: 200, default: 50 } as const;

export interface AuditListQuery {
  limit?: string | undefined;
  cursor?: string | undefined;
  /** An account ID or key ID; with an `@`, the operator's email. */
  actor?: string | undefined;
  action?: string | undefined;
  /** ISO 8601 times: from inclusive, to exclusive. */
  from?: string | undefined;
  to?: string | undefined;
}

export interface AuditEntryView {
  entryId: string;
  at: string;
  actor: AuditActor;
  tenantId: string;
  action: string;
  method: string;
  path: string;
  route: string;
  status: number;
  ipAddress: string | null;
  before: unknown;
  after: unknown;
  request: unknown;
}

/** `GET /v1/management/audit-log`: one page, newest first, and the cursor of the next (null at the end). */
export async function listAuditLog(
  d: { auditLog: Pick<AuditLog, 'page'> },
  tenantId: string,
  q: AuditListQuery,
): Promise<{ entries: AuditEntryView[]; nextCursor: string | null }> {
  const limit = q.limit === undefined ? AUDIT_PAGE.default : Number(q.limit);
  if (!Number.isInteger(limit) || limit < AUDIT_PAGE.min || limit > AUDIT_PAGE.max) {
    throw invalidRequest(`limit must be a whole number from ${AUDIT_PAGE.min} to ${AUDIT_PAGE.max}`);
  }
  const action = q.action?.toLowerCase();
  if (action !== undefined && !ACTION_PATTERN.test(action)) {
    throw invalidRequest('action must be an action name such as sms-providers.update, or its first part');
  }
  const actor = q.actor?.trim();
  const rows = await d.auditLog.page({
    tenantId,
    ...(actor ? (actor.includes('@') ? { actorEmail: actor.toLowerCase() } : { actorId: actor }) : {}),
    action,
    from: time(q.from, 'from'),
    to: time(q.to, 'to'),
    after: q.cursor === undefined ? undefined : decodeCursor(q.cursor),
    // One more than the page: whether it exists says whether there is a next page.
    limit: limit + 1,
  });
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    entries: page.map(view),
    nextCursor: rows.length > limit && last ? encodeCursor(last) : null,
  };
}

function time(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms)) {
    throw invalidRequest(`${name} must be an ISO 8601 time, such as 2026-12-01T00:00:00Z`);
  }
  return ms;
}

/** Opaque to callers: the (at, id) of the last entry shown. */
function encodeCursor(row: Pick<AuditLogRow, 'at' | 'id'>): string {
  return Buffer.from(`${row.at}:${row.id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { at: number; id: string } {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^(\d{1,16}):([A-Za-z0-9_-]{1,64})$/.exec(text);
  if (!match) throw invalidRequest('cursor is not one this API returned');
  return { at: Number(match[1]), id: match[2] as string };
}

const parse = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

function view(row: AuditLogRow): AuditEntryView {
  return {
    entryId: row.id,
    at: iso(row.at),
    actor: {
      kind: row.actor_kind,
      id: row.actor_id,
      ...(row.actor_email === null ? {} : { email: row.actor_email }),
    },
    tenantId: row.tenant_id,
    action: row.action,
    method: row.method,
    path: row.path,
    route: row.route,
    status: row.status,
    ipAddress: row.ip_address,
    before: parse(row.before_json),
    after: parse(row.after_json),
    request: parse(row.request_json),
  };
}

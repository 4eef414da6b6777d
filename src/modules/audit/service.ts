import type { FastifyRequest } from 'fastify';
import type { Actor } from '../../http/actor.js';
import type { Clock } from '../../lib/clock.js';
import type { Random } from '../../lib/random.js';
import type { AuditLogRow } from '../../storage/schema.js';
import { maskSecrets } from './mask.js';
import type { AuditQuery, AuditStore } from './store.js';

/** Who did it: an account (operator), a management key, or Sigil itself. */
export interface AuditActor {
  kind: 'key' | 'operator' | 'system';
  /** The account ID, the key's ID (or `management-key` when the key store names none), or `system`. */
  id: string;
  email?: string | undefined;
}

/** One entry to record. Secrets in before, after and request are masked here; callers need not. */
export interface AuditRecord {
  tenantId: string;
  actor: AuditActor;
  /** `<resource>.<verb>`: `sms-providers.update`, `portal.sign-in`. Only [a-z0-9.-]. */
  action: string;
  method: string;
  /** The route pattern, e.g. `/v1/portal/sign-in` or `/v1/management/members/:accountId`. */
  route: string;
  /** The concrete path, without the query string (which can hold phone numbers). */
  path: string;
  /** The HTTP status the caller got. */
  status: number;
  ipAddress: string | null;
  /** The resource before the change (updates and deletes). */
  before?: unknown;
  /** The resource after the change (creates and updates). */
  after?: unknown;
  /** What the caller sent. */
  request?: unknown;
}

/** Stored entries are whole JSON values or null. */
const json = (value: unknown): string | null =>
  value === undefined || value === null ? null : JSON.stringify(maskSecrets(value));

/** Actions are names, not text: `portal.sign-in`, `action-configurations.rules.update`. */
export const ACTION_PATTERN = /^[a-z0-9][a-z0-9.-]{0,127}$/;

/** The audit log: records writes (masked) and pages through them. Built once, in src/deps.ts. */
export class AuditLog {
  constructor(
    private readonly store: AuditStore,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  async record(entry: AuditRecord): Promise<void> {
    if (!ACTION_PATTERN.test(entry.action)) throw new Error(`Not an audit action name: ${entry.action}`);
    const row: AuditLogRow = {
      id: this.random.uuid(),
      tenant_id: entry.tenantId,
      at: this.clock.now(),
      actor_kind: entry.actor.kind,
      actor_id: entry.actor.id,
      actor_email: entry.actor.email?.toLowerCase() ?? null,
      action: entry.action,
      method: entry.method,
      route: entry.route,
      path: entry.path,
      status: entry.status,
      ip_address: entry.ipAddress,
      before_json: json(entry.before),
      after_json: json(entry.after),
      request_json: json(entry.request),
    };
    await this.store.insert(row);
  }

  page(query: AuditQuery): Promise<AuditLogRow[]> {
    return this.store.page(query);
  }

  /** Deletes entries older than the retention, in batches; `retentionMs` 0 keeps everything. */
  async purge(retentionMs: number, signal?: AbortSignal): Promise<number> {
    if (retentionMs <= 0) return 0;
    const cutoff = this.clock.now() - retentionMs;
    let total = 0;
    for (;;) {
      const deleted = await this.store.purge(cutoff, PURGE_BATCH);
      total += deleted;
      if (deleted < PURGE_BATCH || signal?.aborted) return total;
    }
  }
}

const PURGE_BATCH = 5_000;

/**
 * Records one entry. For writes that do not pass through the Management API scope, whose writes are
 * recorded by `auditWrites`: the portal's own session routes (sign-in, MFA, sign-out, reauthentication).
 * It throws when the entry cannot be stored; the caller answers 503 rather than acknowledge a change
 * whose entry is lost (see docs/audit-log.md).
 */
export function recordAudit(deps: { auditLog: Pick<AuditLog, 'record'> }, entry: AuditRecord): Promise<void> {
  return deps.auditLog.record(entry);
}

/** The facts of an entry that come from the request: method, route, path and the caller's IP. */
export function requestFacts(request: FastifyRequest): Pick<AuditRecord, 'method' | 'route' | 'path' | 'ipAddress'> {
  const path = request.url.split('?')[0] ?? request.url;
  return { method: request.method, route: request.routeOptions.url ?? path, path, ipAddress: request.ip ?? null };
}

/** The audit actor of a Management API caller (src/http/actor.ts). */
export function auditActor(actor: Actor): AuditActor {
  return actor.kind === 'operator'
    ? { kind: 'operator', id: actor.accountId, email: actor.email }
    : { kind: 'key', id: actor.keyId ?? 'management-key' };
}

import type { FastifyRequest } from 'fastify';
import { type AuditLog, recordAudit, requestFacts } from '../audit/service.js';
import type { OperatorContext } from './context.js';

/**
 * Records a portal session event (sign-in, MFA, sign-out...) in the audit log. These happen to an
 * account, not a tenant, and the log is read per tenant: one entry goes to each tenant the account is a
 * member of, so each tenant's owners see who signed in to administer it. The Management API's writes are
 * recorded by the audit module's own hook; these routes are outside that scope.
 */
export async function recordPortalEvent(
  deps: { auditLog: Pick<AuditLog, 'record'>; operators: Pick<OperatorContext, 'accounts'> },
  req: FastifyRequest,
  accountId: string,
  action: `portal.${string}`,
  details: { after?: unknown; tenantIds?: string[] } = {},
): Promise<void> {
  const account = await deps.operators.accounts.byId(accountId);
  if (!account) return;
  const tenantIds = details.tenantIds ?? (await deps.operators.accounts.memberships(accountId)).map((m) => m.tenant_id);
  const facts = requestFacts(req);
  for (const tenantId of tenantIds) {
    await recordAudit(deps, {
      tenantId,
      actor: { kind: 'operator', id: account.id, email: account.email },
      action,
      ...facts,
      status: 200,
      after: details.after,
    });
  }
}

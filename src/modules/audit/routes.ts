import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Deps } from '../../deps.js';
import { IsoDate, Nullable, Opt, Query, Reply, responses, Str } from '../../http/contract.js';
import { AUDIT_PAGE, listAuditLog } from './list.js';
import { MASK } from './mask.js';

const tags = ['Management API'];
const security = [{ managementKey: [] }];

const AuditQuery = Query({
  limit: Opt(
    Type.String({
      pattern: '^[0-9]{1,4}$',
      description: `${AUDIT_PAGE.min} to ${AUDIT_PAGE.max}; default ${AUDIT_PAGE.default}.`,
    }),
  ),
  cursor: Opt(
    Type.String({ maxLength: 200, pattern: '^[A-Za-z0-9_-]*$', description: 'nextCursor of the page before' }),
  ),
  actor: Opt({ ...Str(320), description: 'An account ID or key ID, or an operator email (with @).' }),
  action: Opt({ ...Str(128), description: 'An action (sms-providers.update) or its first part (sms-providers).' }),
  from: Opt({ ...Str(64), description: 'ISO 8601; entries at or after it.' }),
  to: Opt({ ...Str(64), description: 'ISO 8601; entries before it.' }),
});

const masked = `Secrets are masked as "${MASK}".`;

const AuditEntry = Reply({
  entryId: Type.String(),
  at: IsoDate(),
  actor: Reply({
    kind: Type.String({ description: 'key, operator or system' }),
    id: Type.String({ description: 'The account ID, or the management key ID (management-key when unnamed).' }),
    email: Type.Optional(Type.String()),
  }),
  tenantId: Type.String(),
  action: Type.String({ description: 'What was done, such as sms-providers.update.' }),
  method: Type.String(),
  path: Type.String({ description: 'The concrete path, without the query string.' }),
  route: Type.String({ description: 'The route pattern, such as /v1/management/action-configurations/:actionCode.' }),
  status: Type.Integer({ description: 'The HTTP status the caller got: refused writes are recorded too.' }),
  ipAddress: Nullable(Type.String()),
  before: Type.Unknown({ description: `The resource before the change, or null. ${masked}` }),
  after: Type.Unknown({ description: `The resource after the change, or null. ${masked}` }),
  request: Type.Unknown({ description: `The body the caller sent, or null. ${masked}` }),
});

const AuditPage = Reply({ entries: Type.Array(AuditEntry), nextCursor: Nullable(Type.String()) });

/** Management API: the tenant's audit log, newest first (docs/audit-log.md). */
export const auditLogRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.get(
    '/audit-log',
    {
      config: { permission: 'audit:read' },
      schema: {
        tags,
        security,
        description: 'Every write through the Management API and the portal, newest first, by cursor.',
        querystring: AuditQuery,
        response: responses(AuditPage),
      },
    },
    (req) => listAuditLog(deps, req.tenantId, req.query),
  );
};

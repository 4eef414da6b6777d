import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { object, str } from '../../http/schemas.js';
import { readInbox } from './inbox.js';

/** Management API: the tenant's SMS providers, and in development the dev provider's inbox. */
export async function smsManagementRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  app.get('/sms-providers', async (req) => ({ providers: await deps.smsConfig.masked(req.tenantId) }));

  app.put(
    '/sms-providers',
    { schema: { body: object({ providers: { type: 'array' } }, ['providers']) } },
    async (req) => {
      await deps.smsConfig.replace(req.tenantId, req.body);
      return { providers: await deps.smsConfig.masked(req.tenantId) };
    },
  );

  if (deps.config.env !== 'production') {
    app.get<{ Querystring: { to?: string; limit?: string } }>(
      '/dev/inbox',
      { schema: { querystring: object({ to: str(64), limit: { type: 'string', pattern: '^[0-9]{1,3}$' } }) } },
      async (req) => ({
        messages: await readInbox(deps.db, req.tenantId, { to: req.query.to, limit: Number(req.query.limit ?? 20) }),
      }),
    );
  }
}

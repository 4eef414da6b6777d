import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { notFound } from '../../errors.js';
import { object, str } from '../../http/schemas.js';
import { readInbox } from './inbox.js';
import { testProvider } from './provider-test.js';
import { providerDefinitions } from './providers/index.js';
import { receiptUrl } from './receipt-url.js';
import { deliveryTimeline } from './receipts.js';

/** Management API: the tenant's SMS providers, delivery timelines, and in development the dev inbox. */
export async function smsManagementRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const listed = async (tenantId: string) => ({
    providers: (await deps.smsConfig.masked(tenantId)).map((p) => ({
      ...p,
      // Where to point the vendor's delivery reports (Bird's webhook subscription, say).
      ...(providerDefinitions[p.type as string]?.readReceipt
        ? { receiptUrl: receiptUrl(deps.config.apiUrl, deps.keyring, p.type as string, tenantId) }
        : {}),
    })),
  });

  app.get('/sms-providers', async (req) => listed(req.tenantId));

  app.put(
    '/sms-providers',
    { schema: { body: object({ providers: { type: 'array' } }, ['providers']) } },
    async (req) => {
      await deps.smsConfig.replace(req.tenantId, req.body);
      return listed(req.tenantId);
    },
  );

  app.post<{ Body: { phoneNumber: string; provider?: unknown } }>(
    '/sms-providers/test',
    { schema: { body: object({ phoneNumber: str(64), provider: {} }, ['phoneNumber']) } },
    async (req) => testProvider(deps, req.tenantId, req.body.phoneNumber, req.body.provider),
  );

  app.get<{ Params: { challengeId: string } }>(
    '/challenges/:challengeId/deliveries',
    { schema: { params: object({ challengeId: str(64) }, ['challengeId']) } },
    async (req) => {
      const challenge = await deps.challenges.get(req.tenantId, req.params.challengeId);
      if (!challenge) throw notFound('No challenge with this challengeId exists');
      return {
        challengeId: challenge.id,
        attempts: await deliveryTimeline(deps.db, req.tenantId, challenge.id),
      };
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

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../../deps.js';
import { responses } from '../../http/contract.js';
import {
  InboxQuery,
  InboxReply,
  ProviderHealthReply,
  ProviderSchemasReply,
  ProvidersReply,
  ProvidersRequest,
  ProviderTestReply,
  ProviderTestRequest,
} from './contracts.js';
import { readInbox } from './inbox.js';
import { providerHealth } from './provider-health.js';
import { testProvider } from './provider-test.js';
import { providerDefinition } from './providers/index.js';
import { receiptUrl } from './receipt-url.js';

const tags = ['Management API'];
const security = [{ managementKey: [] }];

/** Management API: the tenant's SMS providers, and in development the dev inbox. */
export const smsManagementRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const listed = async (tenantId: string) => ({
    providers: (await deps.smsProviders.masked(tenantId)).map((p) => ({
      ...p,
      type: String(p.type),
      // Where to point the vendor's delivery reports (Bird's webhook subscription, say).
      ...(providerDefinition(p.type)?.readReceipt
        ? { receiptUrl: receiptUrl(deps.publicUrls, deps.keyring, String(p.type), tenantId) }
        : {}),
    })),
  });

  app.get(
    '/sms-providers',
    { config: { permission: 'config:read' }, schema: { tags, security, response: responses(ProvidersReply) } },
    (req) => listed(req.tenantId),
  );

  app.get(
    '/sms-providers/schemas',
    {
      config: { permission: 'config:read' },
      schema: {
        tags,
        security,
        description: "Each provider type's config schema (the one PUT validates with), for drawing its form.",
        response: responses(ProviderSchemasReply),
      },
    },
    (req) => ({
      providers: deps.smsProviders.schemas().map(({ receipts, ...p }) => ({
        ...p,
        receiptUrl: receipts ? receiptUrl(deps.publicUrls, deps.keyring, p.type, req.tenantId) : null,
      })),
    }),
  );

  app.get(
    '/sms-providers/health',
    {
      config: { permission: 'config:read' },
      schema: {
        tags,
        security,
        description: "Each configured provider's circuit breaker, as this process sees it (breakers are per process).",
        response: responses(ProviderHealthReply),
      },
    },
    (req) => providerHealth(deps, req.tenantId),
  );

  app.put(
    '/sms-providers',
    {
      config: { permission: 'config:write' },
      schema: { tags, security, body: ProvidersRequest, response: responses(ProvidersReply) },
    },
    async (req) => {
      await deps.smsProviders.replace(req.tenantId, req.body);
      return listed(req.tenantId);
    },
  );

  app.post(
    '/sms-providers/test',
    {
      config: { permission: 'config:write' },
      schema: { tags, security, body: ProviderTestRequest, response: responses(ProviderTestReply) },
    },
    (req) => testProvider(deps, req.tenantId, req.body.phoneNumber, req.body.provider),
  );

  if (deps.config.env !== 'production') {
    app.get(
      '/dev/inbox',
      {
        config: { permission: 'activity:read' },
        schema: {
          tags,
          security,
          description: 'Development only: the messages that the dev provider "sent".',
          querystring: InboxQuery,
          response: responses(InboxReply),
        },
      },
      async (req) => ({
        messages: await readInbox(deps.smsStore, req.tenantId, {
          to: req.query.to,
          limit: Number(req.query.limit ?? 20),
        }),
      }),
    );
  }
};

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../../deps.js';
import { responses } from '../../http/contract.js';
import { pageLimit } from '../activity/cursor.js';
import {
  MessagesQuery,
  MessagesReply,
  OutcomesQuery,
  OutcomesReply,
  PricesBody,
  PricesReply,
  SummaryQuery,
  SummaryReply,
} from './contracts.js';
import { messageLog } from './message-log.js';
import { priceReply } from './prices.js';
import { actionOutcomes, smsSummary } from './summary.js';

const tags = ['Management API'];
const security = [{ managementKey: [] }];

/** Management API: the message log, the dashboard's summaries and the price table of its estimated cost. */
export const reportingRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const reads = deps.reportingReads;
  const read = { permission: 'activity:read' as const };
  app.get(
    '/sms/messages',
    { config: read, schema: { tags, security, querystring: MessagesQuery, response: responses(MessagesReply) } },
    (req) => messageLog(reads, req.tenantId, req.query, pageLimit(req.query.limit)),
  );
  app.get(
    '/sms/summary',
    { config: read, schema: { tags, security, querystring: SummaryQuery, response: responses(SummaryReply) } },
    (req) => smsSummary(reads, req.tenantId, req.query, deps.clock.now()),
  );
  app.get(
    '/actions/outcomes',
    { config: read, schema: { tags, security, querystring: OutcomesQuery, response: responses(OutcomesReply) } },
    (req) => actionOutcomes(reads, req.tenantId, req.query, deps.clock.now()),
  );
  app.get(
    '/sms/prices',
    { config: { permission: 'config:read' }, schema: { tags, security, response: responses(PricesReply) } },
    async (req) => priceReply(await reads.prices.get(req.tenantId)),
  );
  app.put(
    '/sms/prices',
    {
      config: { permission: 'config:write' },
      schema: { tags, security, body: PricesBody, response: responses(PricesReply) },
    },
    async (req) => {
      await reads.prices.put(req.tenantId, { ...req.body, default: req.body.default ?? null }, deps.clock.now());
      return priceReply(await reads.prices.get(req.tenantId));
    },
  );
};

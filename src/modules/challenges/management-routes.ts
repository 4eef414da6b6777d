import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Deps } from '../../deps.js';
import { responses } from '../../http/contract.js';
import { ChallengeParams, DeliveriesReply } from '../sms/contracts.js';
import { challengeDeliveries } from './deliveries.js';

/** Management API: what happened to the codes of one challenge. */
export const challengeManagementRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.get(
    '/challenges/:challengeId/deliveries',
    {
      config: { permission: 'activity:read' },
      schema: {
        tags: ['Management API'],
        security: [{ managementKey: [] }],
        params: ChallengeParams,
        response: responses(DeliveriesReply),
      },
    },
    (req) => challengeDeliveries(deps, req.tenantId, req.params.challengeId),
  );
};

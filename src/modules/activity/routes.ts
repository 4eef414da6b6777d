import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import { responses, Success } from '../../http/contract.js';
import {
  ActionDetailReply,
  ActivityReply,
  AuthenticatorParams,
  ChallengeDetailReply,
  ChallengeIdParams,
  DecisionBody,
  DecisionReply,
  KeyParams,
  PageQuery,
  ReviewsReply,
  UserDetailReply,
  UserParams,
  UsersQuery,
  UsersReply,
} from './contracts.js';
import { pageLimit } from './cursor.js';
import { actionDetail, challengeDetail } from './detail.js';
import { decideReview, reviewQueue } from './reviews.js';
import { searchUsers, showPhone, userActivity, userDetail, userNotFound } from './users.js';

const tags = ['Management API'];
const security = [{ managementKey: [] }];

/** Full numbers for every caller but an operator with the viewer role. */
const phones = (req: FastifyRequest) => showPhone(req.actor.kind === 'operator' && req.actor.role === 'viewer');

/** Management API: users, their activity, action and challenge detail with the why sentence, reviews. */
export const activityRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const reads = deps.activityReads;
  const read = { permission: 'activity:read' as const };
  app.get(
    '/users',
    { config: read, schema: { tags, security, querystring: UsersQuery, response: responses(UsersReply) } },
    (req) => searchUsers(reads, req.tenantId, { ...req.query, limit: pageLimit(req.query.limit) }, phones(req)),
  );
  app.get(
    '/users/:userId',
    { config: read, schema: { tags, security, params: UserParams, response: responses(UserDetailReply) } },
    (req) => userDetail(reads, req.tenantId, req.params.userId, phones(req)),
  );
  app.delete(
    '/users/:userId/authenticators/:authenticatorId',
    {
      config: {
        permission: 'users:write',
        fresh: true,
        audit: {
          resource: (req) => `/v1/management/users/${encodeURIComponent((req.params as { userId: string }).userId)}`,
        },
      },
      schema: { tags, security, params: AuthenticatorParams, response: responses(Success) },
    },
    async (req) => {
      if (!(await reads.users.get(req.tenantId, req.params.userId))) throw userNotFound();
      await deps.userService.deleteAuthenticator(req.tenantId, req.params.userId, req.params.authenticatorId);
      return { success: true };
    },
  );
  app.get(
    '/users/:userId/activity',
    {
      config: read,
      schema: { tags, security, params: UserParams, querystring: PageQuery, response: responses(ActivityReply) },
    },
    (req) =>
      userActivity(
        reads,
        req.tenantId,
        req.params.userId,
        { cursor: req.query.cursor, limit: pageLimit(req.query.limit) },
        phones(req),
        deps.clock.now(),
      ),
  );
  app.get(
    '/actions/:idempotencyKey',
    { config: read, schema: { tags, security, params: KeyParams, response: responses(ActionDetailReply) } },
    (req) => actionDetail(deps, req.tenantId, req.params.idempotencyKey, phones(req)),
  );
  app.get(
    '/challenges/:challengeId',
    { config: read, schema: { tags, security, params: ChallengeIdParams, response: responses(ChallengeDetailReply) } },
    (req) => challengeDetail(deps, req.tenantId, req.params.challengeId, phones(req)),
  );
  app.get(
    '/reviews',
    { config: read, schema: { tags, security, querystring: PageQuery, response: responses(ReviewsReply) } },
    (req) =>
      reviewQueue(
        reads,
        req.tenantId,
        { cursor: req.query.cursor, limit: pageLimit(req.query.limit) },
        deps.clock.now(),
      ),
  );
  app.post(
    '/reviews/:idempotencyKey',
    {
      config: {
        permission: 'reviews:decide',
        // The entry's before and after are the action as its detail shows it.
        audit: {
          action: 'reviews.decide',
          resource: (req) =>
            `/v1/management/actions/${encodeURIComponent((req.params as { idempotencyKey: string }).idempotencyKey)}`,
        },
      },
      schema: { tags, security, params: KeyParams, body: DecisionBody, response: responses(DecisionReply) },
    },
    (req) => decideReview(deps, req.tenantId, req.params.idempotencyKey, req.body.decision, req.actor),
  );
};

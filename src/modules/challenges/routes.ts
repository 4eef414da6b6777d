import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Deps } from '../../deps.js';
import { Body, NonEmpty, Opt, Query, Reply, responses, Str } from '../../http/contract.js';
import { claimChallenge } from './claim.js';
import { describeChallenge } from './describe.js';
import { initiateChallenge } from './initiate.js';
import { verifyChallenge } from './verify.js';

const ChallengeRequest = Body({
  verificationMethod: Opt(Str(64)),
  action: Opt(Str(64)),
  challengeId: Opt(Str(64)),
  idempotencyKey: Opt(Str()),
  userId: Opt(Str()),
  phoneNumber: Opt(Str(64)),
  scope: Opt(Str(256)),
  locale: Opt(Str(35)),
  smsChannel: Opt(Str(32)),
});

const ChallengeResponse = Reply({
  challengeId: Type.String(),
  idempotencyKey: Type.String(),
  expiresAt: Type.Integer({ description: 'Unix seconds' }),
});

const VerifyResponse = Reply({
  isVerified: Type.Boolean(),
  phoneNumber: Type.Optional(Type.String()),
  verificationMethod: Type.Optional(Type.String()),
  failureReason: Type.Optional(Type.String()),
});

const ClaimResponse = Reply({ token: Type.String(), verificationMethod: Type.String() });

const ChallengeDescription = Reply({
  challengeId: Type.String(),
  expiresAt: Type.Integer(),
  verificationMethod: Type.String(),
  smsChannel: Type.String(),
  phoneNumber: Type.String(),
  action: Type.String(),
  userId: Type.Optional(Type.String()),
  isVerified: Type.Boolean(),
});

/** Server API: SMS challenges for sign-in, enrollment and number changes. */
export const challengeRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.post(
    '/challenge',
    { schema: { tags: ['Server API'], body: ChallengeRequest, response: responses(ChallengeResponse) } },
    (req) => initiateChallenge(deps, req.tenantId, req.body),
  );

  app.post(
    '/verify',
    {
      schema: {
        tags: ['Server API'],
        body: Body({ challengeId: NonEmpty(64), verificationCode: Str(32) }),
        response: responses(VerifyResponse),
      },
    },
    (req) => verifyChallenge(deps, req.tenantId, req.body),
  );

  app.post(
    '/claim',
    {
      schema: {
        tags: ['Server API'],
        body: Body({ challengeId: NonEmpty(64), userId: NonEmpty(), skipVerificationCheck: Opt(Type.Boolean()) }),
        response: responses(ClaimResponse),
      },
    },
    (req) => claimChallenge(deps, req.tenantId, req.body),
  );

  app.get(
    '/challenges',
    {
      schema: {
        tags: ['Server API'],
        querystring: Query({
          challengeId: Opt(Str(64)),
          userId: Opt(Str()),
          action: Opt(Str(64)),
          verificationMethod: Opt(Str(64)),
        }),
        response: responses(ChallengeDescription),
      },
    },
    (req) => describeChallenge(deps, req.tenantId, req.query),
  );
};

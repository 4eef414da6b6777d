import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { bool, nonEmpty, object, str } from '../../http/schemas.js';
import { type InitiateRequest, initiateChallenge } from './initiate.js';
import { claimChallenge, describeChallenge, verifyChallenge } from './verify.js';

export async function challengeRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  app.post<{ Body: InitiateRequest }>(
    '/challenge',
    {
      schema: {
        body: object({
          verificationMethod: str(64),
          action: str(64),
          challengeId: str(64),
          idempotencyKey: str(),
          userId: str(),
          phoneNumber: str(64),
          scope: str(256),
          locale: str(35),
          smsChannel: str(32),
        }),
      },
    },
    (req) => initiateChallenge(deps, req.tenantId, req.body),
  );

  app.post<{ Body: { challengeId: string; verificationCode: string } }>(
    '/verify',
    {
      schema: {
        body: object({ challengeId: nonEmpty(64), verificationCode: str(32) }, ['challengeId', 'verificationCode']),
      },
    },
    (req) => verifyChallenge(deps, req.tenantId, req.body),
  );

  app.post<{ Body: { challengeId: string; userId: string; skipVerificationCheck?: boolean } }>(
    '/claim',
    {
      schema: {
        body: object({ challengeId: nonEmpty(64), userId: nonEmpty(), skipVerificationCheck: bool }, [
          'challengeId',
          'userId',
        ]),
      },
    },
    (req) => claimChallenge(deps, req.tenantId, req.body),
  );

  app.get<{ Querystring: { challengeId?: string; userId?: string; action?: string } }>(
    '/challenges',
    {
      schema: {
        querystring: object({ challengeId: str(64), userId: str(), action: str(64), verificationMethod: str(64) }),
      },
    },
    (req) => describeChallenge(deps, req.tenantId, req.query),
  );
}

import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../deps.js';
import { object, str } from '../../http/schemas.js';
import { maskPhone } from '../../lib/phone.js';
import { jwksRoutes } from '../tokens/routes.js';
import { authenticatorView } from '../users/users.js';
import { clientAuth, requireToken } from './auth.js';
import { challengeSms, enrollSms, verifySms } from './sms.js';

/**
 * The Client API (`/v1/client`), called from browsers and apps on other origins. CORS answers the
 * preflight that the Authorization header triggers; credentials are allowed for the SDK's cookie-based
 * calls, so the origin is echoed rather than `*` (limit it with SIGIL_CLIENT_ORIGINS).
 */
export async function clientRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const allowed = deps.config.clientOrigins;
  await app.register(cors, {
    origin: allowed.length === 0 ? true : allowed,
    credentials: true,
    methods: ['GET', 'POST'],
    allowedHeaders: [
      'authorization',
      'content-type',
      'x-authsignal-tenant-id',
      'x-authsignal-sdk',
      'x-authsignal-version',
    ],
    maxAge: 600,
  });
  await app.register(jwksRoutes, { deps });
  await app.register(async (authed) => {
    authed.addHook('onRequest', clientAuth(deps));

    authed.post('/challenge/sms', { schema: { body: object({ smsChannel: str(32) }) } }, (req) =>
      challengeSms(deps, requireToken(req)),
    );

    authed.post<{ Body: { verificationCode: string } }>(
      '/verify/sms',
      { schema: { body: object({ verificationCode: str(32) }, ['verificationCode']) } },
      (req) => verifySms(deps, requireToken(req), req.body.verificationCode),
    );

    authed.post<{ Body: { phoneNumber: string } }>(
      '/user-authenticators/sms',
      { schema: { body: object({ phoneNumber: str(64) }, ['phoneNumber']) } },
      (req) => enrollSms(deps, requireToken(req), req.body.phoneNumber),
    );

    // What the pre-built UI needs to know about its action: never the full number, never a code.
    authed.get('/hosted/context', async (req) => {
      const token = requireToken(req);
      const action = await deps.actions.get(token.tenantId, token.idempotencyKey);
      const attributes = JSON.parse(action?.attributes ?? '{}') as { redirectUrl?: string };
      const sms = (await deps.users.store.authenticators(token.tenantId, token.userId)).find(
        (a) => a.verification_method === 'SMS',
      );
      return {
        actionCode: token.actionCode,
        redirectUrl: attributes.redirectUrl ?? null,
        isEnrolled: sms !== undefined,
        phoneNumberHint: sms?.phone_number ? maskPhone(sms.phone_number) : null,
      };
    });

    authed.get('/user-authenticators', async (req) => {
      const token = requireToken(req);
      return (await deps.users.store.authenticators(token.tenantId, token.userId)).map(authenticatorView);
    });
  });
}

import cors from '@fastify/cors';
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Deps } from '../../deps.js';
import { invalidRequest } from '../../errors.js';
import { responses } from '../../http/contract.js';
import { jwksRoutes } from '../tokens/routes.js';
import { clientAuth, requireToken } from './auth.js';
import {
  ChallengeReply,
  EnrollReply,
  HostedContextReply,
  SmsChallengeRequest,
  SmsEnrollRequest,
  SmsVerifyRequest,
  UserAuthenticatorList,
  VerifyReply,
} from './contracts.js';
import { hostedContext, listAuthenticators } from './hosted-context.js';
import { challengeSms, enrollSms, verifySms } from './sms.js';

const tags = ['Client API'];
const security = [{ clientToken: [] }];

/**
 * The Client API (`/v1/client`), called from browsers and apps on other origins. CORS answers the
 * preflight that the Authorization header triggers; credentials are allowed for the SDK's cookie-based
 * calls, so the origin is echoed rather than `*` (limit it with SIGIL_CLIENT_ORIGINS).
 */
export const clientRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const allowed = deps.config.clientOrigins;
  // An OPTIONS request without Origin or Access-Control-Request-Method is no preflight. @fastify/cors's
  // strict mode would answer it with a text/plain 400; this gives Sigil's error body instead. Added
  // before the CORS plugin, so it runs first.
  app.addHook('onRequest', async (request) => {
    if (
      request.method === 'OPTIONS' &&
      (!request.headers.origin || !request.headers['access-control-request-method'])
    ) {
      throw invalidRequest('A CORS preflight needs the Origin and Access-Control-Request-Method headers.');
    }
  });
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
    strictPreflight: false, // checked by the hook above
  });
  await app.register(jwksRoutes, { deps });
  await app.register(async (instance) => {
    const authed = instance.withTypeProvider<TypeBoxTypeProvider>();
    authed.addHook('onRequest', clientAuth(deps));

    authed.post(
      '/challenge/sms',
      { schema: { tags, security, body: SmsChallengeRequest, response: responses(ChallengeReply) } },
      (req) => challengeSms(deps, requireToken(req), req.ip),
    );

    authed.post(
      '/verify/sms',
      { schema: { tags, security, body: SmsVerifyRequest, response: responses(VerifyReply) } },
      (req) => verifySms(deps, requireToken(req), req.body.verificationCode),
    );

    authed.post(
      '/user-authenticators/sms',
      { schema: { tags, security, body: SmsEnrollRequest, response: responses(EnrollReply) } },
      (req) => enrollSms(deps, requireToken(req), req.body.phoneNumber, req.ip),
    );

    authed.get('/hosted/context', { schema: { tags, security, response: responses(HostedContextReply) } }, (req) =>
      hostedContext(deps, requireToken(req)),
    );

    authed.get(
      '/user-authenticators',
      { schema: { tags, security, response: responses(UserAuthenticatorList) } },
      (req) => listAuthenticators(deps, requireToken(req)),
    );
  });
};

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Deps } from '../../deps.js';
import { Body, IsoDate, NonEmpty, Nullable, Opt, Params, Reply, responses, Success } from '../../http/contract.js';
import { MAX_GRACE_MINUTES } from './api-keys.js';

/**
 * Management API: the tenant's identity and URLs, its API keys (server and management: list, create,
 * rotate with a grace period, revoke) and its token-signing keys (list, create, retire). docs/api-keys.md.
 */

const tags = ['Management API'];

const TenantReply = Reply({
  tenantId: Type.String(),
  name: Type.String(),
  createdAt: IsoDate(),
  urls: Reply({
    serverApi: Type.String({ description: 'The apiUrl of the server SDKs (with /v1)' }),
    clientApi: Type.String({
      description: 'The baseUrl of the client SDKs (browser, iOS, Android, React Native, Flutter); they add /client',
    }),
    managementApi: Type.String({ description: 'The base of the Management API' }),
    jwks: Type.String({ description: "The tenant's token-verification keys (JWKS)" }),
  }),
});

const KeyKind = Type.Union([Type.Literal('server'), Type.Literal('management')]);

const ApiKeyFields = {
  keyId: Type.String(),
  kind: KeyKind,
  name: Nullable(Type.String()),
  hint: Nullable(
    Type.String({
      description: "The secret's prefix and last 4 characters (sk_…a1b2); null for keys made before hints",
    }),
  ),
  createdAt: IsoDate(),
  lastUsedAt: Nullable(IsoDate()),
  expiresAt: Nullable(IsoDate()),
  revokedAt: Nullable(IsoDate()),
  status: Type.Union([
    Type.Literal('active'),
    Type.Literal('expiring'),
    Type.Literal('revoked'),
    Type.Literal('expired'),
  ]),
};
const ApiKey = Reply(ApiKeyFields);
const CreatedApiKey = Reply({ ...ApiKeyFields, secret: Type.String({ description: 'Shown this once; store it now' }) });

const KeyParams = Params({ keyId: NonEmpty(64) });

const CreateKeyRequest = Body({ kind: KeyKind, name: Opt(NonEmpty(100)) });

const RotateKeyRequest = Body({
  gracePeriodMinutes: Opt(
    Type.Integer({
      minimum: 0,
      maximum: MAX_GRACE_MINUTES,
      description: 'How long the old key keeps working; 0 (the default) revokes it now',
    }),
  ),
  name: Opt(NonEmpty(100)),
});

const SigningKey = Reply({
  keyId: Type.String({ description: "The JWT header's kid" }),
  algorithm: Type.Literal('ES256'),
  status: Type.Union([Type.Literal('active'), Type.Literal('retired')]),
  createdAt: IsoDate(),
  retiredAt: Nullable(IsoDate()),
  current: Type.Boolean({ description: 'Signs new tokens; other active keys still verify the tokens they signed' }),
});

export const keyRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  const tenants = deps.tenantService;
  const tokens = deps.tokenService;

  app.get(
    '/tenant',
    { config: { permission: 'config:read' }, schema: { tags, response: responses(TenantReply) } },
    async (req) => {
      const api = deps.publicUrls.apiUrl;
      const tenant = await tenants.describe(req.tenantId);
      const jwks = `${api}/client/public/${encodeURIComponent(tenant.tenantId)}/.well-known/jwks`;
      return { ...tenant, urls: { serverApi: api, clientApi: api, managementApi: `${api}/management`, jwks } };
    },
  );

  app.get(
    '/api-keys',
    { config: { permission: 'keys:read' }, schema: { tags, response: responses(Type.Array(ApiKey)) } },
    (req) => tenants.listKeys(req.tenantId),
  );

  app.post(
    '/api-keys',
    {
      config: { permission: 'keys:write' },
      schema: { tags, body: CreateKeyRequest, response: responses(CreatedApiKey) },
    },
    (req) => tenants.createKey(req.tenantId, req.body),
  );

  app.post(
    '/api-keys/:keyId/rotate',
    {
      config: { permission: 'keys:write' },
      schema: { tags, params: KeyParams, body: RotateKeyRequest, response: responses(CreatedApiKey) },
    },
    (req) => tenants.rotateKey(req.tenantId, req.params.keyId, req.body),
  );

  app.delete(
    '/api-keys/:keyId',
    {
      config: { permission: 'keys:write', fresh: true },
      schema: { tags, params: KeyParams, response: responses(Success) },
    },
    async (req) => {
      await tenants.revokeKey(req.tenantId, req.params.keyId);
      return { success: true };
    },
  );

  app.get(
    '/signing-keys',
    { config: { permission: 'keys:read' }, schema: { tags, response: responses(Type.Array(SigningKey)) } },
    (req) => tokens.describeSigningKeys(req.tenantId),
  );

  app.post(
    '/signing-keys',
    { config: { permission: 'keys:write' }, schema: { tags, response: responses(SigningKey) } },
    async (req) => tokens.describeSigningKey(req.tenantId, await tokens.createSigningKey(req.tenantId)),
  );

  app.post(
    '/signing-keys/:keyId/retire',
    {
      config: { permission: 'keys:write', fresh: true },
      schema: { tags, params: KeyParams, response: responses(SigningKey) },
    },
    (req) => tokens.retireSigningKeyKeepingOne(req.tenantId, req.params.keyId),
  );
};

import fastifyCookie from '@fastify/cookie';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Deps } from '../../deps.js';
import { ApiError } from '../../errors.js';
import { responses, Success } from '../../http/contract.js';
import { FRESH_AUTH_MS as FRESH_MS } from '../../http/management-auth.js';
import { iso } from '../../lib/clock.js';
import type { OperatorSessionStatus } from '../../storage/schema.js';
import { recordPortalEvent } from './audit-events.js';
import type { RequestMeta } from './context.js';
import * as c from './contracts.js';
import { changesState, clearSessionCookie, csrfMatches, readSessionToken, setSessionCookie } from './cookies.js';
import { describeLink, redeemLink } from './links.js';
import { SESSION_IDLE_MS } from './operators.js';
import { isRole, type Role } from './roles.js';
import type { SessionWithAccount } from './session-store.js';
import { findSession, idleExpiresAt, openSession } from './sessions.js';
import { completeMfa, reauthenticate, signIn } from './sign-in.js';
import { createTenant } from './team.js';
import { confirmEnrolment, startEnrolment } from './totp.js';

const tags = ['Portal'];
const SIGNED_IN: OperatorSessionStatus[] = ['signed_in'];
const ENROLLING: OperatorSessionStatus[] = ['signed_in', 'mfa_enrolment_required'];
const ANY: OperatorSessionStatus[] = ['signed_in', 'mfa_required', 'mfa_enrolment_required'];

/** /v1/portal: the portal's own session surface (sign-in, MFA, account, sessions, links). */
export const portalRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  await app.register(fastifyCookie);
  const ctx = deps.operators;
  const meta = (req: FastifyRequest): RequestMeta => ({
    ip: req.ip,
    userAgent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : undefined,
  });

  /** The request's live session in one of `allowed`; state-changing calls must carry its CSRF token. */
  async function session(req: FastifyRequest, allowed: OperatorSessionStatus[]): Promise<SessionWithAccount> {
    const found = await findSession(ctx, readSessionToken(req, ctx.publicUrls));
    if (!found) throw new ApiError('unauthorized', 'Sign in to the portal first.');
    if (changesState(req.method) && !csrfMatches(req, found.csrf_token)) {
      throw new ApiError('forbidden', 'The X-CSRF-Token header is missing or wrong (GET /v1/portal/me gives it).');
    }
    if (!allowed.includes(found.status)) {
      throw new ApiError('forbidden', 'Finish signing in first (authenticator code or set-up).');
    }
    return found;
  }

  app.post(
    '/sign-in',
    { schema: { tags, body: c.SignInBody, response: responses(c.SignInReply) } },
    async (req, reply) => {
      const previous = await findSession(ctx, readSessionToken(req, ctx.publicUrls));
      const { status, session: issued } = await signIn(ctx, req.body, meta(req), previous);
      await recordPortalEvent(deps, req, issued.row.account_id, 'portal.sign-in', { after: { status } });
      setSessionCookie(reply, ctx.publicUrls, issued.token);
      return { status, csrfToken: issued.row.csrf_token };
    },
  );

  app.post(
    '/sign-in/mfa',
    { schema: { tags, body: c.MfaBody, response: responses(c.SignInReply) } },
    async (req, reply) => {
      const partial = await session(req, ['mfa_required']);
      const { status, session: issued } = await completeMfa(ctx, partial, req.body, meta(req));
      await recordPortalEvent(deps, req, partial.account_id, 'portal.sign-in.mfa', { after: { status } });
      setSessionCookie(reply, ctx.publicUrls, issued.token);
      return { status, csrfToken: issued.row.csrf_token };
    },
  );

  app.post('/sign-out', { schema: { tags, response: responses(Success) } }, async (req, reply) => {
    const found = await findSession(ctx, readSessionToken(req, ctx.publicUrls));
    if (found) {
      if (!csrfMatches(req, found.csrf_token)) {
        throw new ApiError('forbidden', 'The X-CSRF-Token header is missing or wrong (GET /v1/portal/me gives it).');
      }
      await ctx.sessions.revoke(found.account_id, found.id, ctx.clock.now());
      await recordPortalEvent(deps, req, found.account_id, 'portal.sign-out');
    }
    clearSessionCookie(reply, ctx.publicUrls);
    return { success: true };
  });

  app.get('/me', { schema: { tags, response: responses(c.MeReply) } }, async (req) => {
    const current = await session(req, ANY);
    const account = await ctx.accounts.byId(current.account_id);
    if (!account) throw new ApiError('unauthorized', 'Sign in to the portal first.');
    const memberships = (await ctx.accounts.memberships(account.id)).filter((m) => isRole(m.role));
    const names = await ctx.tenants.names(memberships.map((m) => m.tenant_id));
    return {
      account: { accountId: account.id, email: account.email, mfaEnabled: account.totp_enabled_at !== null },
      memberships: memberships.map((m) => ({
        tenantId: m.tenant_id,
        tenantName: names.get(m.tenant_id) ?? m.tenant_id,
        role: m.role as Role,
      })),
      csrfToken: current.csrf_token,
      session: {
        sessionId: current.id,
        status: current.status,
        expiresAt: iso(current.expires_at),
        idleExpiresAt: iso(idleExpiresAt(current)),
        reauthenticatedAt: iso(current.reauthenticated_at),
      },
      mfaMandatory: ctx.requireMfa,
    };
  });

  app.post('/mfa/totp', { schema: { tags, response: responses(c.EnrolmentReply) } }, async (req) => {
    const current = await session(req, ENROLLING);
    return startEnrolment(ctx, await accountOf(current));
  });

  app.post(
    '/mfa/totp/confirm',
    { schema: { tags, body: c.ConfirmBody, response: responses(c.ConfirmReply) } },
    async (req, reply) => {
      const current = await session(req, ENROLLING);
      const recoveryCodes = await confirmEnrolment(ctx, await accountOf(current), req.body.code);
      await recordPortalEvent(deps, req, current.account_id, 'portal.mfa.enable');
      if (current.status === 'signed_in')
        return { recoveryCodes, status: current.status, csrfToken: current.csrf_token };
      // Enrolment was the last step of signing in: the session steps up, so it is a new one.
      const issued = await openSession(ctx, current.account_id, 'signed_in', meta(req), current);
      setSessionCookie(reply, ctx.publicUrls, issued.token);
      return { recoveryCodes, status: 'signed_in' as const, csrfToken: issued.row.csrf_token };
    },
  );

  app.delete('/mfa/totp', { schema: { tags, response: responses(Success) } }, async (req) => {
    const current = await session(req, SIGNED_IN);
    if (ctx.clock.now() - current.reauthenticated_at > FRESH_MS) {
      throw new ApiError('reauthentication_required');
    }
    if (ctx.requireMfa) throw new ApiError('conflict', 'MFA is mandatory here (SIGIL_PORTAL_REQUIRE_MFA).');
    await ctx.accounts.disableTotp(current.account_id, ctx.clock.now());
    await recordPortalEvent(deps, req, current.account_id, 'portal.mfa.disable');
    return { success: true };
  });

  app.post(
    '/reauthenticate',
    { schema: { tags, body: c.ReauthenticateBody, response: responses(c.ReauthenticateReply) } },
    async (req) => {
      const current = await session(req, SIGNED_IN);
      const at = await reauthenticate(ctx, current, req.body);
      await recordPortalEvent(deps, req, current.account_id, 'portal.reauthenticate');
      return { success: true, reauthenticatedAt: iso(at) };
    },
  );

  app.get('/links/:token', { schema: { tags, params: c.LinkParams, response: responses(c.LinkReply) } }, (req) =>
    describeLink(ctx, req.params.token),
  );

  app.post(
    '/links/redeem',
    { schema: { tags, body: c.RedeemBody, response: responses(c.SignInReply) } },
    async (req, reply) => {
      const previous = await findSession(ctx, readSessionToken(req, ctx.publicUrls));
      const { status, session: issued } = await redeemLink(ctx, req.body, meta(req));
      if (previous) await ctx.sessions.revoke(previous.account_id, previous.id, ctx.clock.now());
      await recordPortalEvent(deps, req, issued.row.account_id, 'portal.link.redeem', { after: { status } });
      setSessionCookie(reply, ctx.publicUrls, issued.token);
      return { status, csrfToken: issued.row.csrf_token };
    },
  );

  app.post('/tenants', { schema: { tags, body: c.TenantBody, response: responses(c.TenantReply) } }, async (req) => {
    const current = await session(req, SIGNED_IN);
    const created = await createTenant(ctx, current.account_id, req.body.name);
    await recordPortalEvent(deps, req, current.account_id, 'portal.tenants.create', {
      tenantIds: [created.tenantId],
      after: { tenantId: created.tenantId, name: created.name },
    });
    return created;
  });

  app.get('/sessions', { schema: { tags, response: responses(Type.Array(c.SessionView)) } }, async (req) => {
    const current = await session(req, SIGNED_IN);
    const rows = await ctx.sessions.live(current.account_id, ctx.clock.now(), SESSION_IDLE_MS);
    return rows.map((s) => ({
      sessionId: s.id,
      status: s.status,
      current: s.id === current.id,
      createdAt: iso(s.created_at),
      lastSeenAt: iso(s.last_seen_at),
      expiresAt: iso(s.expires_at),
      idleExpiresAt: iso(idleExpiresAt(s)),
      ipAddress: s.ip_address,
      userAgent: s.user_agent,
    }));
  });

  app.delete(
    '/sessions/:sessionId',
    { schema: { tags, params: c.SessionParams, response: responses(Success) } },
    async (req) => {
      const current = await session(req, SIGNED_IN);
      if (!(await ctx.sessions.revoke(current.account_id, req.params.sessionId, ctx.clock.now()))) {
        throw new ApiError('not_found', 'No live session of yours has this sessionId.');
      }
      await recordPortalEvent(deps, req, current.account_id, 'portal.sessions.revoke', {
        after: { sessionId: req.params.sessionId },
      });
      return { success: true };
    },
  );

  async function accountOf(current: SessionWithAccount) {
    const account = await ctx.accounts.byId(current.account_id);
    if (!account) throw new ApiError('unauthorized', 'Sign in to the portal first.');
    return account;
  }
};

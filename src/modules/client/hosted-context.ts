import type { Config } from '../../config.js';
import { maskPhone } from '../../lib/phone.js';
import { trackedAttribute } from '../actions/actions.js';
import type { ActionStore } from '../actions/store.js';
import type { ChallengeTokenClaims } from '../tokens/service.js';
import type { UserService } from '../users/service.js';
import type { HostedContext, UserAuthenticatorView } from './contracts.js';

/**
 * What the pre-built UI needs to know about its action: whether to enroll or send a code, a masked
 * number, where redirect mode may send the token (the redirectUrl stored by track, never one from the
 * link; track checks it, but an older action may hold any string, so the page checks it again) and the
 * origins that popup and window modes trust (the redirectUrl's, when http(s), and these clientOrigins).
 * The page posts the token to the opener's origin only when it is one of them, and to all of them
 * otherwise; only with none does it fall back to the opener's origin as the Referer or ancestorOrigins
 * names it.
 */
export interface HostedContextDeps {
  config: Readonly<Pick<Config, 'clientOrigins'>>;
  actionStore: Pick<ActionStore, 'get'>;
  userService: Pick<UserService, 'smsAuthenticator' | 'authenticators'>;
}

export async function hostedContext(d: HostedContextDeps, token: ChallengeTokenClaims): Promise<HostedContext> {
  const action = await d.actionStore.get(token.tenantId, token.idempotencyKey);
  const sms = await d.userService.smsAuthenticator(token.tenantId, token.userId);
  return {
    actionCode: token.actionCode,
    redirectUrl: trackedAttribute(action?.attributes ?? null, 'redirectUrl') ?? null,
    isEnrolled: sms !== undefined,
    phoneNumberHint: sms?.phone_number ? maskPhone(sms.phone_number) : null,
    clientOrigins: originsOf(d.config.clientOrigins),
  };
}

/** `GET /v1/client/user-authenticators`: the token's user's authenticators. */
export async function listAuthenticators(
  d: Pick<HostedContextDeps, 'userService'>,
  token: ChallengeTokenClaims,
): Promise<UserAuthenticatorView[]> {
  return d.userService.authenticators(token.tenantId, token.userId);
}

/**
 * The configured client origins as exact origins (`https://app.example`, no path or trailing slash),
 * which is what postMessage compares. Entries that are no origin (`*`, a bare host) are left out: the
 * page must never post a token to an origin it cannot name.
 */
export function originsOf(configured: string[]): string[] {
  const origins = new Set<string>();
  for (const entry of configured) {
    try {
      const { origin } = new URL(entry);
      if (origin !== 'null') origins.add(origin);
    } catch {
      // not an origin
    }
  }
  return [...origins];
}

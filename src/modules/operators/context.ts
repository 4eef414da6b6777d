import type { Clock } from '../../lib/clock.js';
import type { Keyring } from '../../lib/crypto.js';
import type { Random } from '../../lib/random.js';
import type { PublicUrls } from '../../public-urls.js';
import type { Counters } from '../limits/counters.js';
import type { TenantService } from '../tenants/service.js';
import type { OperatorAccountStore } from './account-store.js';
import type { Passwords } from './passwords.js';
import type { OperatorSessionStore } from './session-store.js';

/**
 * What the operators module's use cases work with, built once in src/deps.ts. Every use case takes it
 * (or a Pick of it) as its first argument.
 */
export interface OperatorContext {
  accounts: OperatorAccountStore;
  sessions: OperatorSessionStore;
  passwords: Passwords;
  keyring: Keyring;
  clock: Clock;
  random: Random;
  /** The limit counters (database or Redis): sign-in throttling is exact across nodes. */
  counters: Counters;
  tenants: Pick<TenantService, 'create' | 'exists' | 'names'>;
  publicUrls: PublicUrls;
  /** SIGIL_PORTAL_REQUIRE_MFA: an account without TOTP must enrol before it is signed in. */
  requireMfa: boolean;
}

/** Who is asking, for the sessions list. */
export interface RequestMeta {
  ip: string | undefined;
  userAgent: string | undefined;
}

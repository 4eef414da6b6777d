import { ApiError } from '../../errors.js';
import type { Clock } from '../../lib/clock.js';
import { TtlCache } from '../../lib/ttl-cache.js';
import { defaultPolicy, type SmsPolicy, withDefaults } from './policy.js';
import type { LimitsStore } from './store.js';

/**
 * Each tenant's SMS policy. Read on every send, so cached briefly: a change made on another node is seen
 * within `cacheTtlMs` (SIGIL_AUTH_CACHE_TTL_MS), at once on the node that made it.
 */
export class SmsPolicyService {
  private readonly cache: TtlCache<SmsPolicy>;

  constructor(
    private readonly store: LimitsStore,
    private readonly clock: Clock,
    cacheTtlMs: number,
    /** SIGIL_SMS_MAX_PER_NUMBER_PER_HOUR: the default of the hourly per-number window. */
    private readonly maxSendsPerNumberPerHour = 10,
  ) {
    this.cache = new TtlCache(cacheTtlMs, () => clock.now());
  }

  /** The policy of a tenant that stored none. */
  defaults(): SmsPolicy {
    return defaultPolicy(this.maxSendsPerNumberPerHour);
  }

  async get(tenantId: string): Promise<SmsPolicy> {
    return this.cache.get(tenantId, async () => {
      const stored = await this.store.policy(tenantId);
      return withDefaults(
        stored === undefined ? undefined : (JSON.parse(stored) as Partial<SmsPolicy>),
        this.defaults(),
      );
    });
  }

  /** Whether the tenant has stored a policy (Authsignal's resource exists), rather than running on defaults. */
  async isStored(tenantId: string): Promise<boolean> {
    return (await this.store.policy(tenantId)) !== undefined;
  }

  /** Replaces the whole policy; callers validate it first (the route contracts and `checkPolicy`). */
  async put(tenantId: string, policy: SmsPolicy): Promise<SmsPolicy> {
    await this.store.putPolicy(tenantId, JSON.stringify(policy), this.clock.now());
    this.cache.delete(tenantId);
    return policy;
  }

  /**
   * Applies `change` to the stored policy and writes the result only if nobody changed it meanwhile (one
   * conditional statement), so two operators' concurrent edits never lose one; a lost race reads again.
   */
  async update(tenantId: string, change: (current: SmsPolicy) => SmsPolicy): Promise<SmsPolicy> {
    for (let round = 0; round < 5; round++) {
      const raw = await this.store.policy(tenantId);
      const next = change(
        withDefaults(raw === undefined ? undefined : (JSON.parse(raw) as Partial<SmsPolicy>), this.defaults()),
      );
      if (await this.store.swapPolicy(tenantId, raw, JSON.stringify(next), this.clock.now())) {
        this.cache.delete(tenantId);
        return next;
      }
    }
    throw new ApiError('conflict', 'The SMS policy was changed by another request meanwhile. Try again.');
  }

  /** Back to the defaults. */
  async delete(tenantId: string): Promise<void> {
    await this.store.deletePolicy(tenantId);
    this.cache.delete(tenantId);
  }
}

import type { Clock } from '../../lib/clock.js';
import type { NormalisedPhone } from '../../lib/phone.js';
import { type Counters, counterKey } from './counters.js';
import { digitsOf } from './destination.js';
import type { AdaptiveDefence, Trigger } from './guard.js';
import type { SmsPolicy } from './policy.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A prefix is judged on its last hour: pumping is a burst, and an hour is long enough to see conversion. */
const PREFIX_WINDOW_MS = HOUR;
/** The tenant's own conversion over a day is the baseline a prefix is compared with. */
const TENANT_WINDOW_MS = DAY;
/** Below this many sends in a day a tenant's own conversion is noise; the default baseline stands in. */
const MIN_TENANT_SENDS_FOR_BASELINE = 50;
/** Most sign-ins finish: half of the codes verified is a cautious guess for a tenant without history. */
const DEFAULT_BASELINE = 0.5;
/**
 * The measured baseline never drops below this. A pumping bot lowers the very baseline it is compared
 * with (its texts are most of the tenant's sends), and at a baseline of 0 nothing could ever block.
 */
const BASELINE_FLOOR = 0.1;
/** Authgear's scaling: a prefix must send a fifth of the tenant's daily verifications before it is judged. */
const THRESHOLD_SHARE_OF_VERIFIED = 0.2;
/** Twilio Fraud Guard blocks for 5 minutes to 12 hours; each block within a day of the last lasts longer. */
export const BLOCK_LENGTHS_MS = [5 * MINUTE, 30 * MINUTE, 2 * HOUR, 12 * HOUR] as const;
/** Blocks are counted until a day passes without one; then the prefix starts again at the shortest. */
const ESCALATION_WINDOW_MS = DAY;
/** At most one block starts per prefix in this time, so that concurrent sends do not escalate twice. */
const ONSET_WINDOW_MS = BLOCK_LENGTHS_MS[0];

/**
 * The prefix a number is judged by: its calling code and the next two digits (`6421`), fine enough to
 * spare a country's other ranges, coarse enough that a bot's sequential numbers share one.
 */
function adaptivePrefix(phone: NormalisedPhone): string {
  return digitsOf(phone.e164).slice(0, phone.callingCode.length + 2);
}

/**
 * Conversion-based prefix blocking, as Twilio's Fraud Guard does it, self-hosted. A pumping bot texts
 * numbers it does not own, so its codes are never verified: a prefix that sends many codes and verifies
 * few, compared with the tenant's own conversion, is paused for a while, longer each time in a day.
 * Everything is a counter (database or Redis), never process memory, so every node sees the same block.
 */
export class AdaptivePrefixDefence implements AdaptiveDefence {
  constructor(
    private readonly counters: Counters,
    private readonly clock: Clock,
  ) {}

  async check(tenantId: string, phone: NormalisedPhone, policy: SmsPolicy): Promise<Trigger | undefined> {
    const prefix = adaptivePrefix(phone);
    const keys = keysOf(tenantId, prefix);
    // Every send is counted first, blocked or not, so that a bot hammering a blocked prefix stays
    // visible and is blocked again, for longer, as soon as the block lifts. All is read in one round:
    // on SQLite each further round waits for another group commit.
    const [sent, tenantSent, prefixVerified, tenantVerified, escalation, ...blocks] = await Promise.all([
      this.counters.add(keys.sent, 1, PREFIX_WINDOW_MS),
      this.counters.add(keys.tenantSent, 1, TENANT_WINDOW_MS),
      this.counters.peek(keys.verified),
      this.counters.peek(keys.tenantVerified),
      this.counters.peek(keys.escalation),
      // Every block level is read in the same round (the database counters make it one select), rather
      // than the one the escalation count names in a second round that each send would wait for.
      ...keys.blocks.map((key) => this.counters.peek(key)),
    ]);
    // Blocks never overlap, so only the newest can be in force, and the escalation count names it.
    if (escalation) {
      const block = blocks[levelOf(escalation.count)];
      if (block) return this.pause(prefix, block.resetInMs);
    }

    // A prefix is judged only once its window is judgeAfterMinutes old. Codes sent in the last minutes
    // have not had time to be entered, so at a window's start (a new tenant, the top of the hour, the end
    // of a block) a burst of real sign-ins would look like codes nobody verifies. A bot gets these minutes
    // free; the per-number, per-IP and per-tenant limits bound what it can do in them.
    const judgeAfterMs = policy.adaptivePrefixBlocking.judgeAfterMinutes * MINUTE;
    if (PREFIX_WINDOW_MS - sent.resetInMs < judgeAfterMs) return undefined;
    const verified = tenantVerified?.count ?? 0;
    const baseline =
      tenantSent.count >= MIN_TENANT_SENDS_FOR_BASELINE
        ? Math.max(BASELINE_FLOOR, Math.min(1, verified / tenantSent.count))
        : DEFAULT_BASELINE;
    // A small tenant is not blocked by noise (minSends); a big one needs proportionally more sends.
    const threshold = Math.max(policy.adaptivePrefixBlocking.minSends, THRESHOLD_SHARE_OF_VERIFIED * verified);
    const conversion = Math.min(1, (prefixVerified?.count ?? 0) / sent.count);
    if (sent.count < threshold || conversion >= policy.adaptivePrefixBlocking.conversionRatio * baseline) {
      return undefined;
    }
    return this.startBlock(keys, prefix, escalation?.count ?? 0);
  }

  async noteVerified(tenantId: string, phone: NormalisedPhone): Promise<void> {
    const keys = keysOf(tenantId, adaptivePrefix(phone));
    await Promise.all([
      this.counters.add(keys.verified, 1, PREFIX_WINDOW_MS),
      this.counters.add(keys.tenantVerified, 1, TENANT_WINDOW_MS),
    ]);
  }

  private async startBlock(keys: Keys, prefix: string, blocksBefore: number): Promise<Trigger> {
    // Only the first of concurrent sends that cross the threshold starts the block; the others are
    // refused with it, and the escalation counts one block, not one per send.
    const onset = await this.counters.add(keys.onset, 1, ONSET_WINDOW_MS);
    if (onset.count > 1) return this.pause(prefix, onset.resetInMs);
    const level = levelOf(blocksBefore + 1);
    const length = BLOCK_LENGTHS_MS[level] as number;
    await this.counters.add(keys.blocks[level] as string, 1, length);
    // The count of blocks starts a new day with each block, so it always outlives the block in force
    // (which check finds by it); only the onset's winner writes it.
    await this.counters.reset(keys.escalation);
    await Promise.all([
      this.counters.add(keys.escalation, blocksBefore + 1, ESCALATION_WINDOW_MS),
      // The prefix is watched afresh from the block on: once it lifts, only new evidence (sends during
      // or after the block that again verify too few) blocks it again, so legitimate users get back in.
      this.counters.reset(keys.sent),
      this.counters.reset(keys.verified),
    ]);
    return this.pause(prefix, length);
  }

  /** The refusal while a block lasts; its end is named, so that a message log shows when sends resume. */
  private pause(prefix: string, retryAfterMs: number): Trigger {
    const until = new Date(this.clock.now() + retryAfterMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
    return {
      defence: 'adaptive_prefix',
      retryAfterMs,
      description: `Codes to numbers starting +${prefix} are paused: many were sent and few were verified, as in SMS pumping. The pause ends at ${until}.`,
    };
  }
}

/** Every counter of one tenant's prefix; each key ends in its window (counterKey). */
function keysOf(tenantId: string, prefix: string) {
  return {
    sent: counterKey(['adaptive', 'sent', tenantId, prefix], PREFIX_WINDOW_MS),
    verified: counterKey(['adaptive', 'verified', tenantId, prefix], PREFIX_WINDOW_MS),
    tenantSent: counterKey(['adaptive', 'tenant-sent', tenantId], TENANT_WINDOW_MS),
    tenantVerified: counterKey(['adaptive', 'tenant-verified', tenantId], TENANT_WINDOW_MS),
    escalation: counterKey(['adaptive', 'blocks', tenantId, prefix], ESCALATION_WINDOW_MS),
    onset: counterKey(['adaptive', 'onset', tenantId, prefix], ONSET_WINDOW_MS),
    blocks: BLOCK_LENGTHS_MS.map((ms) => counterKey(['adaptive', 'block', tenantId, prefix], ms)),
  };
}

type Keys = ReturnType<typeof keysOf>;

/** The index in BLOCK_LENGTHS_MS of the n-th block (from 1); past the last, blocks stay at the longest. */
const levelOf = (n: number): number => Math.min(n, BLOCK_LENGTHS_MS.length) - 1;

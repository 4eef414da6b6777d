import { iso } from '../../lib/clock.js';
import type { ChallengeRow } from '../../storage/schema.js';
import { reasonInWords } from '../sms/plain-words.js';
import type { TimelineEntry } from '../sms/receipts.js';

export type WhyCode =
  | 'refused_by_sigil'
  | 'refused_by_vendor'
  | 'failed_by_carrier'
  | 'delivered_not_entered'
  | 'sent_not_entered'
  | 'entered_wrongly'
  | 'expired'
  | 'verified'
  | 'pending';

export interface Why {
  code: WhyCode;
  sentence: string;
}

/** A send that Sigil's limits refused: the enforced defence and its mode. */
export interface Refusal {
  at: number;
  defence: string;
  mode: string;
}

/** Where each defence is set in the SMS policy, so the sentence names the setting to look at. */
const SETTINGS = new Map<string, string>([
  ['failure_budget', 'failureBudget'],
  ['submission_limit', 'submissionRateLimitConfiguration'],
  ['sending_limit', 'sendingRateLimitConfigurations'],
  ['ip_limit', 'ipRateLimitConfigurations'],
  ['user_limit', 'userRateLimitConfigurations'],
  ['tenant_limit', 'tenantDailyLimit'],
  ['country', 'smsCountryCodes'],
  ['line_type', 'lineTypes'],
  ['prefix_limit', 'prefixRateLimitConfigurations'],
  ['adaptive_prefix', 'adaptivePrefixBlocking'],
]);

const DEFENCE_WORDS = new Map<string, string>([
  ['failure_budget', 'the failure budget (too many wrong codes in a row for this number)'],
  ['submission_limit', 'the submission limit'],
  ['sending_limit', 'the per-number sending limit'],
  ['ip_limit', 'the per-IP sending limit'],
  ['user_limit', 'the per-user sending limit'],
  ['tenant_limit', "the tenant's daily sending limit"],
  ['country', 'the allowed countries'],
  ['line_type', 'the allowed line types'],
  ['prefix_limit', 'the per-prefix sending limit'],
  ['adaptive_prefix', 'adaptive prefix blocking (low conversion from this prefix)'],
]);

/** A defence in words: "the per-number sending limit". */
export const defenceInWords = (defence: string) => DEFENCE_WORDS.get(defence) ?? `the ${defence} defence`;

export interface WhyFacts {
  challenge: ChallengeRow;
  sends: TimelineEntry[];
  refusals: Refusal[];
  wrongCodes: number;
  now: number;
}

/**
 * "Why didn't the code arrive?", in one plain sentence, from the challenge's own timeline. The latest
 * thing that happened to the code decides: a passed code, then a refusal after the last send, then the
 * vendor's refusal, the carrier's failure, wrong codes, expiry, and otherwise where the code is now.
 */
export function whyOf(f: WhyFacts): Why {
  const c = f.challenge;
  if (c.verified_at !== null)
    return { code: 'verified', sentence: `The code was entered correctly at ${iso(c.verified_at)}.` };
  const lastSend = f.sends.at(-1);
  const lastRefusal = f.refusals.at(-1);
  if (lastRefusal && (!lastSend || lastRefusal.at >= Date.parse(lastSend.createdAt))) {
    const words = defenceInWords(lastRefusal.defence);
    const setting = SETTINGS.get(lastRefusal.defence) ?? lastRefusal.defence;
    return {
      code: 'refused_by_sigil',
      sentence: `Sigil did not send the code: ${words} refused it (defence ${lastRefusal.defence}, mode ${lastRefusal.mode}; setting ${setting} in the SMS policy).`,
    };
  }
  const accepted = [...f.sends].reverse().find((s) => s.outcome === 'accepted');
  if (c.failed_reason !== null || (lastSend && !accepted)) {
    const failed = [...f.sends].reverse().find((s) => s.error !== null);
    const reason = failed?.error ?? c.failed_reason ?? 'send_failed';
    const vendor = failed?.provider ?? 'The SMS provider';
    return { code: 'refused_by_vendor', sentence: `The code was not sent: ${vendor} ${reasonInWords(reason)}.` };
  }
  if (accepted?.deliveryStatus === 'failed') {
    const receipt = [...accepted.receipts].reverse().find((r) => r.status === 'failed');
    const error = receipt?.errorCode ? `, error ${receipt.errorCode}` : '';
    return {
      code: 'failed_by_carrier',
      sentence: `${accepted.provider} accepted the code but the carrier did not deliver it (status ${receipt?.vendorStatus ?? 'failed'}${error}).`,
    };
  }
  if (f.wrongCodes > 0) {
    const times = f.wrongCodes === 1 ? 'once' : `${f.wrongCodes} times`;
    const locked = c.attempts >= c.max_attempts ? '; no attempts are left' : '';
    return { code: 'entered_wrongly', sentence: `The code arrived but was entered wrongly ${times}${locked}.` };
  }
  const delivered = accepted?.deliveryStatus === 'delivered';
  if (c.expires_at <= f.now) {
    const how = delivered ? 'after it was delivered' : accepted ? 'after it was sent (no delivery receipt came)' : '';
    return {
      code: 'expired',
      sentence: `The code expired at ${iso(c.expires_at)} without being entered${how ? ` ${how}` : ''}.`,
    };
  }
  if (delivered)
    return { code: 'delivered_not_entered', sentence: 'The code was delivered to the phone but has not been entered.' };
  if (accepted) {
    return {
      code: 'sent_not_entered',
      sentence: `${accepted.provider} accepted the code; no delivery receipt has come yet and it has not been entered.`,
    };
  }
  return { code: 'pending', sentence: 'The code is waiting to be entered (no SMS was sent: a test number).' };
}

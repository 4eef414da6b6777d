import type { NormalisedPhone } from '../../lib/phone.js';
import type { PrefixLimit, SmsPolicy } from './policy.js';

/**
 * Line types that no tenant can text: numbers that earn their owner money per message (premium rate,
 * shared cost, UAN) or that cannot receive SMS and are favourites of pumping bots (toll free, voicemail).
 */
const REFUSED_LINE_TYPES = new Set(['PREMIUM_RATE', 'SHARED_COST', 'TOLL_FREE', 'UAN', 'VOICEMAIL']);

/** Why a destination is refused by the tenant's country list or line-type rules, or undefined. */
export function destinationRefusal(
  phone: NormalisedPhone,
  policy: SmsPolicy,
): { defence: 'country' | 'line_type'; description: string } | undefined {
  if (policy.smsCountryCodes.length > 0 && !(phone.country && policy.smsCountryCodes.includes(phone.country))) {
    return {
      defence: 'country',
      description: `Codes are not sent to numbers of ${phone.country ?? 'this country code'}: it is not in the tenant's smsCountryCodes.`,
    };
  }
  const type = phone.type;
  const refused =
    (type !== undefined && REFUSED_LINE_TYPES.has(type)) ||
    (type === 'FIXED_LINE' && !policy.lineTypes.allowFixedLine) ||
    (type === 'VOIP' && !policy.lineTypes.allowVoip);
  if (refused) {
    return {
      defence: 'line_type',
      description: `Codes are not sent to ${type?.toLowerCase().replaceAll('_', ' ')} numbers.`,
    };
  }
  return undefined;
}

/** The digits of an E.164 number, without the `+`. */
export const digitsOf = (e164: string): string => e164.replace(/^\+/, '');

/**
 * The group a prefix limit counts the number in: its country calling code (`blockSize: "country"`), or
 * its first `blockSize` digits. Undefined when the limit does not apply to the number's country.
 */
export function prefixGroup(phone: NormalisedPhone, limit: PrefixLimit): string | undefined {
  if (!limit.enabled) return undefined;
  if (limit.countryCodes.length > 0 && !(phone.country && limit.countryCodes.includes(phone.country))) return undefined;
  return limit.blockSize === 'country' ? phone.callingCode : digitsOf(phone.e164).slice(0, limit.blockSize);
}

/** Whether the tenant's safe list names this number, or a prefix of it. */
export function isSafeListed(e164: string, policy: SmsPolicy): boolean {
  return policy.safeList.some((entry) => e164 === entry || (entry.length < e164.length && e164.startsWith(entry)));
}

import { type PhoneNumber, parsePhoneNumberWithError } from 'libphonenumber-js/max';
import { invalidRequest } from '../errors.js';

export interface NormalisedPhone {
  /** E.164, for example +64270000000. */
  e164: string;
  country: string | undefined;
  type: ReturnType<PhoneNumber['getType']>;
}

/**
 * Parses a phone number in international format and normalises it to E.164. Uses the full ("max")
 * metadata so that validity and line type are judged per number range, not only by length.
 */
export function normalisePhone(input: unknown, field = 'phoneNumber'): NormalisedPhone {
  if (typeof input !== 'string' || input.trim() === '') throw invalidRequest(`${field} is required`);
  if (input.length > 64) throw invalidRequest(`${field} is too long`);
  let parsed: PhoneNumber;
  try {
    parsed = parsePhoneNumberWithError(input);
  } catch (err) {
    const reason = err instanceof Error ? err.message : 'unparseable';
    const hint = reason === 'INVALID_COUNTRY' ? ' (use international format with a leading +country code)' : '';
    throw invalidRequest(`${field} is not a valid phone number: ${reason}${hint}`);
  }
  if (!parsed.isValid()) {
    throw invalidRequest(`${field} is not a valid phone number for ${parsed.country ?? 'its country code'}`);
  }
  return { e164: parsed.number, country: parsed.country, type: parsed.getType() };
}

/** For logs: keeps the country code and the last two digits only. */
export function maskPhone(e164: string): string {
  if (e164.length <= 6) return '***';
  return `${e164.slice(0, 3)}${'*'.repeat(e164.length - 5)}${e164.slice(-2)}`;
}

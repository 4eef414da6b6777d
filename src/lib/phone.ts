import { type CountryCode, type PhoneNumber, parsePhoneNumberWithError } from 'libphonenumber-js/max';

export interface NormalisedPhone {
  /** E.164, for example +64270000000. */
  e164: string;
  country: string | undefined;
  /** The country calling code, without `+`: `64`. */
  callingCode: string;
  type: ReturnType<PhoneNumber['getType']>;
}

/**
 * Why `normalisePhone` refused its input. The message is the sentence a caller shows to whoever sent
 * the number, naming the field; lib/ knows nothing of HTTP, so the caller decides what it becomes.
 */
export class PhoneNumberError extends Error {
  constructor(
    readonly reason: 'required' | 'too_long' | 'unparseable' | 'impossible',
    readonly field: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * Parses a phone number in international format and normalises it to E.164, for a number that a code
 * will be sent to. It accepts what libphonenumber deems *possible* (a plausible length for the country
 * code), as Authsignal does: `+6427000000`, which Authsignal's own SDK suites enroll, is possible but
 * not in an assigned range. Refusing unassigned ranges or unwanted line types is a tenant's policy, not
 * a parse error. Something that is no number at all throws a PhoneNumberError.
 */
export function normalisePhone(input: unknown, field = 'phoneNumber', defaultCountry?: string): NormalisedPhone {
  if (typeof input !== 'string' || input.trim() === '') {
    throw new PhoneNumberError('required', field, `${field} is required`);
  }
  if (input.length > 64) throw new PhoneNumberError('too_long', field, `${field} is too long`);
  let parsed: PhoneNumber;
  try {
    // A tenant's defaultCountryCode lets its users write national numbers (`021 123 4567`).
    parsed = defaultCountry
      ? parsePhoneNumberWithError(input, { defaultCountry: defaultCountry as CountryCode })
      : parsePhoneNumberWithError(input);
  } catch (err) {
    const reason = err instanceof Error ? err.message : 'unparseable';
    const hint = reason === 'INVALID_COUNTRY' ? ' (use international format with a leading +country code)' : '';
    throw new PhoneNumberError('unparseable', field, `${field} is not a valid phone number: ${reason}${hint}`, {
      cause: err,
    });
  }
  if (!parsed.isPossible()) {
    throw new PhoneNumberError(
      'impossible',
      field,
      `${field} is not a possible phone number for ${parsed.country ?? 'its country code'}`,
    );
  }
  return {
    e164: parsed.number,
    country: parsed.country,
    callingCode: parsed.countryCallingCode,
    type: parsed.getType(),
  };
}

/**
 * A phone number given as a user attribute (updateUser, track): normalised to E.164 when it parses,
 * otherwise stored as given, as Authsignal does (its SDK suites store `9876543210` and read it back).
 */
export function phoneAttribute(input: string): string {
  const trimmed = input.trim();
  try {
    const parsed = parsePhoneNumberWithError(trimmed);
    return parsed.isPossible() ? parsed.number : trimmed;
  } catch {
    return trimmed;
  }
}

/** The country of a stored number, or null when it has none that can be told (a local format). */
export function phoneCountry(value: string): string | null {
  try {
    return parsePhoneNumberWithError(value).country ?? null;
  } catch {
    return null;
  }
}

/** For logs: keeps the country code and the last two digits only. */
export function maskPhone(e164: string): string {
  if (e164.length <= 6) return '***';
  return `${e164.slice(0, 3)}${'*'.repeat(e164.length - 5)}${e164.slice(-2)}`;
}

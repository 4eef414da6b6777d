import { invalidRequest } from '../../errors.js';
import { type NormalisedPhone, normalisePhone, PhoneNumberError } from '../../lib/phone.js';

/**
 * A phone number sent in a request, normalised to E.164: a number that `normalisePhone` refuses is a
 * 400 `invalid_request` whose description names the field (for example "phoneNumber is required").
 */
export function phoneInput(input: unknown, field = 'phoneNumber', defaultCountry?: string): NormalisedPhone {
  try {
    return normalisePhone(input, field, defaultCountry);
  } catch (err) {
    if (err instanceof PhoneNumberError) throw invalidRequest(err.message, { cause: err });
    throw err;
  }
}

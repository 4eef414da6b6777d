import { iso } from '../../lib/clock.js';
import type { AuthenticatorRow, UserRow } from '../../storage/schema.js';
import type { AttributesView, AuthenticatorView, EnrollmentView } from './contracts.js';

/** Sigil delivers codes by SMS only, so SMS is the one method a user can be enrolled with. */
export const ALLOWED_VERIFICATION_METHODS = ['SMS'] as const;

export interface UserAttributes {
  email?: string | null;
  emailVerified?: boolean;
  phoneNumber?: string | null;
  phoneNumberVerified?: boolean;
  username?: string | null;
  displayName?: string | null;
  custom?: Record<string, string | number | boolean> | null;
  locale?: string | null;
}

/** The attribute fields of a user as the SDKs read them; absent values are left out, not null. */
export function attributesView(row: UserRow | undefined): AttributesView {
  if (!row) return { emailVerified: false, phoneNumberVerified: false };
  return dropNull({
    email: row.email,
    emailVerified: row.email_verified === 1,
    phoneNumber: row.phone_number,
    phoneNumberVerified: row.phone_number_verified === 1,
    username: row.username,
    displayName: row.display_name,
    custom: row.custom ? (JSON.parse(row.custom) as Record<string, unknown>) : null,
    locale: row.locale,
  }) as AttributesView;
}

export function enrollmentView(authenticators: AuthenticatorRow[]): EnrollmentView {
  const enrolled = [...new Set(authenticators.map((a) => a.verification_method))];
  return {
    isEnrolled: enrolled.length > 0,
    enrolledVerificationMethods: enrolled,
    allowedVerificationMethods: [...ALLOWED_VERIFICATION_METHODS],
    ...(enrolled.length > 0 ? { defaultVerificationMethod: enrolled[0] } : {}),
  };
}

export function authenticatorView(row: AuthenticatorRow): AuthenticatorView {
  return dropNull({
    userId: row.user_id,
    userAuthenticatorId: row.id,
    verificationMethod: row.verification_method,
    createdAt: iso(row.created_at),
    verifiedAt: iso(row.verified_at),
    lastVerifiedAt: iso(row.last_verified_at),
    phoneNumber: row.phone_number,
    email: row.email,
  }) as AuthenticatorView;
}

export function dropNull<T extends Record<string, unknown>>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== null && v !== undefined)) as Partial<T>;
}

import { maskPhone } from '../../lib/phone.js';

/**
 * Masking for the audit log: what a write sent and what the resource looked like, with every secret
 * replaced by MASK before it is stored. The rules err on the side of hiding: a name that merely looks
 * like a secret is masked, every value inside a credentials object is masked, and text that has the
 * shape of a secret (a Sigil key, a URL with a password or query) is masked wherever it appears.
 */
export const MASK = '••••';

/**
 * Member names that hold secrets, compared lower-case without `_` and `-`, by how they end (so that
 * `accessTokenTtlSeconds` and `actionCode` stay readable): vendor credentials (authToken, accessKey,
 * apiKey, apiSecret, password, signingKey), Sigil's own (apiSecretKey, managementSecretKey, secret, link,
 * csrfToken, recoveryCodes, otpauthUri, qrCodeSvg, a TOTP `code`) and the usual others.
 */
const SECRET_NAME =
  /^(code|otp|pin)$|(secret|password|passwd|passphrase|token|credentials?|authorization|cookie|signature|key|hash|link|receipturl|recoverycodes?|otpauthuri|qrcodesvg)s?$/;

/** Objects under these names are credentials as a whole (twilioCredentials, credentials): every value in them. */
const CREDENTIALS_NAME = /credential/;

/** Sigil's API and management keys (`sk_…`, `mk_…`), wherever they turn up. */
const SIGIL_KEY = /\b(sk|mk)_[A-Za-z0-9_-]{20,}/g;

/** Phone numbers are shown as in log lines (country code and last two digits): the log is a log. */
const PHONE_NAME = /^(phonenumber|phone)$/;

const normalise = (name: string) => name.toLowerCase().replace(/[-_]/g, '');

/**
 * A deep copy of `value` with every secret masked. `null` stays `null` (a secret that was cleared says
 * nothing), so a reader can still tell "set" from "cleared". Bounded in depth like request bodies.
 */
export function maskSecrets(value: unknown): unknown {
  return walk(value, false, 0);
}

function walk(value: unknown, inCredentials: boolean, depth: number): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (depth > 40) return MASK;
  if (Array.isArray(value)) return value.map((item) => walk(item, inCredentials, depth + 1));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [name, member] of Object.entries(value as Record<string, unknown>)) {
      const normalised = normalise(name);
      if (CREDENTIALS_NAME.test(normalised) && member !== null && typeof member === 'object') {
        out[name] = walk(member, true, depth + 1);
      } else if (!inCredentials && PHONE_NAME.test(normalised) && typeof member === 'string') {
        out[name] = maskPhone(member);
      } else if (inCredentials || SECRET_NAME.test(normalised)) {
        out[name] = member === null ? null : typeof member === 'object' ? walk(member, true, depth + 1) : MASK;
      } else {
        out[name] = walk(member, false, depth + 1);
      }
    }
    return out;
  }
  if (inCredentials) return MASK;
  return typeof value === 'string' ? maskText(value) : value;
}

/** Text that carries a secret by its shape: a Sigil key, or a URL with user info or a query. */
function maskText(text: string): string {
  const masked = text.replace(SIGIL_KEY, MASK);
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(masked)) return masked;
  let url: URL;
  try {
    url = new URL(masked);
  } catch {
    return masked;
  }
  if (!url.username && !url.password && !url.search) return masked;
  // Where it points stays readable; what could authenticate does not.
  const auth = url.username || url.password ? `${MASK}@` : '';
  const query = [...url.searchParams.keys()].map((key) => `${encodeURIComponent(key)}=${MASK}`).join('&');
  return `${url.protocol}//${auth}${url.host}${url.pathname}${query ? `?${query}` : url.search ? `?${MASK}` : ''}`;
}

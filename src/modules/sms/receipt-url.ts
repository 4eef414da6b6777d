import type { Keyring } from '../../lib/crypto.js';
import { constantTimeEqual, hmacSha256 } from '../../lib/crypto.js';
import type { PublicUrls } from '../../public-urls.js';

/**
 * Delivery receipts come to `<apiUrl>/sms-receipts/<type>/<tenantId>/<token>`. The token is an HMAC of
 * the tenant and provider type under a key derived from the master key: vendors that do not sign their
 * callbacks (MessageMedia by default, TNZ) are authenticated by it, and the ones that do sign get it as
 * a second check. It never changes, so a URL given to a vendor's dashboard keeps working.
 */
export function receiptToken(keyring: Keyring, tenantId: string, type: string): string {
  return hmacSha256(keyring.receiptKey, `sms-receipts:${tenantId}:${type}`).subarray(0, 24).toString('base64url');
}

export function receiptUrl(urls: PublicUrls, keyring: Keyring, type: string, tenantId: string): string {
  return `${urls.apiUrl}/sms-receipts/${type}/${tenantId}/${receiptToken(keyring, tenantId, type)}`;
}

export function validReceiptToken(keyring: Keyring, tenantId: string, type: string, token: string): boolean {
  return constantTimeEqual(Buffer.from(receiptToken(keyring, tenantId, type)), Buffer.from(token));
}

import { createHmac } from 'node:crypto';

/**
 * Authsignal's `X-Signature-V2` header: `t=<unix seconds>,v2=<sig>[,v2=<sig>...]`, one signature per
 * active API secret key, where sig is unpadded base64 of HMAC-SHA256(secret, "<t>.<raw body>").
 * The official SDKs check it with `webhook.constructEvent(rawBody, header)`.
 */
export function signatureV2(body: string, secrets: string[], unixSeconds: number): string {
  const signatures = secrets.map(
    (secret) =>
      `v2=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('base64').replace(/=+$/, '')}`,
  );
  return [`t=${unixSeconds}`, ...signatures].join(',');
}

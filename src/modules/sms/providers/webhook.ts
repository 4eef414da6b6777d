import { invalidRequest } from '../../../errors.js';
import { signatureV2 } from '../../../lib/webhook-signature.js';
import { failureForStatus, outboundRequest } from './http.js';
import type { ProviderDefinition, SmsMessage } from './provider.js';

export interface WebhookConfig {
  type: 'webhook';
  url: string;
}

/**
 * Delivers the code to the tenant's own endpoint as Authsignal's `sms.created` event, signed with
 * `X-Signature-V2` under the tenant's API secret keys. The endpoint must answer 2xx in time, or the
 * challenge fails.
 */
export const webhookProvider: ProviderDefinition<WebhookConfig> = {
  type: 'webhook',
  parse(raw) {
    if (typeof raw.url !== 'string' || raw.url.length > 2048) throw invalidRequest('webhook.url must be a URL string');
    let url: URL;
    try {
      url = new URL(raw.url);
    } catch {
      throw invalidRequest('webhook.url is not a valid URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw invalidRequest('webhook.url must use https (or http)');
    }
    return { type: 'webhook', url: url.toString() };
  },
  // A URL can carry a credential (user info, a token in the query): show where it points, not the secret.
  mask(config) {
    const url = new URL(config.url);
    if (url.username || url.password) [url.username, url.password] = ['***', ''];
    for (const key of [...url.searchParams.keys()]) url.searchParams.set(key, '***');
    return { type: 'webhook', url: url.toString() };
  },
  create(config, ctx) {
    const url = new URL(config.url);
    const label = `The SMS webhook at ${url.origin}`;
    return {
      type: 'webhook',
      async send(message, { signal }) {
        const body = JSON.stringify(envelope(message, ctx.uuid(), ctx.now()));
        const secrets = await ctx.serverSecrets(message.tenantId);
        const signature = signatureV2(body, secrets, Math.floor(ctx.now() / 1000));
        const res = await outboundRequest({
          url,
          headers: { 'content-type': 'application/json', 'user-agent': 'sigil-webhook', 'x-signature-v2': signature },
          body,
          signal,
          policy: ctx.policy,
          label,
        });
        if (res.status >= 200 && res.status < 300) return { providerMessageId: `webhook:${message.challengeId}` };
        // Never a number failure: a refusal by the tenant's own endpoint fails over.
        throw failureForStatus(res, label, ctx.now());
      },
    };
  },
};

function envelope(message: SmsMessage, id: string, now: number) {
  return {
    version: 1,
    id,
    source: 'https://authsignal.com',
    time: new Date(now).toISOString(),
    tenantId: message.tenantId,
    type: 'sms.created',
    data: {
      to: message.to,
      code: message.code,
      ...(message.userId ? { userId: message.userId } : {}),
      idempotencyKey: message.idempotencyKey,
      actionCode: message.actionCode,
      ...(message.locale ? { locale: message.locale } : {}),
    },
  };
}

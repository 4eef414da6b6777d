import { signatureV2 } from '../../../lib/webhook-signature.js';
import { failureForStatus, outboundRequest } from './http.js';
import type { ProviderDefinition, SmsMessage } from './provider.js';
import { checkConfig, configSchema, perRules, secret, typeField, WEBHOOK_URL_PATTERN } from './schema.js';

const schema = perRules(() =>
  configSchema('Webhook', "Posts Authsignal's sms.created event, signed, to your own endpoint, which sends the SMS.", {
    type: typeField('webhook'),
    // Secret, because a URL may carry a credential in its user info or query.
    url: secret({
      title: 'URL',
      description: 'Your endpoint, http or https. Credentials in it are masked when shown.',
      pattern: WEBHOOK_URL_PATTERN,
      maxLength: 2048,
      hint: diagnoseWebhookUrl,
      examples: ['https://hooks.example.com/sigil-sms'],
    }),
  }),
);

/** Says why a webhook URL was refused; the schema alone decides. */
function diagnoseWebhookUrl(value: string): string {
  if (!URL.canParse(value)) return 'a URL such as https://hooks.example.com/sms';
  const { protocol } = new URL(value);
  if (protocol !== 'https:' && protocol !== 'http:') return 'webhook.url must use https (or http)';
  return 'an http or https URL of a host name, an IPv4 address or [::1]';
}

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
  title: 'Webhook',
  schema: (rules) => schema(rules),
  parse(raw, rules) {
    const c = checkConfig(schema(rules), raw, 'webhook') as { url: string };
    return { type: 'webhook', url: new URL(c.url).toString() };
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

import { Type } from '@sinclair/typebox';
import { maskSecret, normalisedBaseUrl } from './fields.js';
import { failureForStatus, jsonOf, outboundRequest } from './http.js';
import { type DeliveryReceipt, type DeliveryStatus, type ProviderDefinition, SmsSendError } from './provider.js';
import { jsonObjectOf } from './receipt-body.js';
import { baseUrlField, checkConfig, configSchema, perRules, secret, text, typeField } from './schema.js';

export interface MessageMediaConfig {
  type: 'messagemedia';
  apiKey: string;
  apiSecret: string;
  /** A registered E.164 number or alphanumeric sender; without it the account's default sender is used. */
  sourceNumber?: string;
  baseUrl: string;
}

const LABEL = 'MessageMedia';
const DEFAULT_BASE_URL = 'https://api.messagemedia.com';

const schema = perRules((rules) =>
  configSchema('MessageMedia', "MessageMedia's (Sinch) Messages API, with delivery reports.", {
    type: typeField('messagemedia'),
    apiKey: secret({
      title: 'API key',
      description: 'From the Hub: Settings → API Settings. Sent as the Basic user name.',
      pattern: '^[!-9;-~]+$',
      hint: 'printable ASCII without spaces or colons',
    }),
    apiSecret: secret({
      title: 'API secret',
      description: 'Shown once when the API key is created.',
      pattern: '^[!-~]+$',
      hint: 'printable ASCII without spaces',
    }),
    sourceNumber: Type.Optional(
      text({
        title: 'Source number',
        description:
          "A number or sender ID registered to the account (E.164, or 3 to 11 characters with a letter). Default: the account's.",
        pattern: '^(\\+[1-9][0-9]{7,14}|(?=[A-Za-z0-9 ]*[A-Za-z])[A-Za-z0-9 ]{3,11})$',
        hint: 'an E.164 number or an alphanumeric sender ID of 3 to 11 characters with at least one letter',
      }),
    ),
    baseUrl: Type.Optional(baseUrlField('messagemedia', DEFAULT_BASE_URL, rules)),
  }),
);

/**
 * MessageMedia's Messages API (sms-providers.md §4): a JSON POST to /v1/messages, Basic auth with the
 * API key and secret, 202 with the message's UUID. Delivery reports come to the callback URL named in
 * each message; blocked numbers and insufficient credit are reported there (`rejected`), not refused here.
 */
export const messageMediaProvider: ProviderDefinition<MessageMediaConfig> = {
  type: 'messagemedia',
  title: 'MessageMedia',
  receiptHelp: 'Nothing to set: Sigil gives MessageMedia this URL as the callback_url of every message.',
  schema: (rules) => schema(rules),
  parse(raw, rules) {
    const c = checkConfig(schema(rules), raw, 'messagemedia') as Omit<MessageMediaConfig, 'baseUrl'> & {
      baseUrl?: string;
    };
    return { ...c, baseUrl: normalisedBaseUrl(c.baseUrl, DEFAULT_BASE_URL) };
  },
  mask: (c) => ({ ...c, apiKey: maskSecret(c.apiKey) as string, apiSecret: maskSecret(c.apiSecret) }),
  create(c, ctx) {
    const url = new URL(`${c.baseUrl}/v1/messages`);
    const authorization = `Basic ${Buffer.from(`${c.apiKey}:${c.apiSecret}`).toString('base64')}`;
    return {
      type: 'messagemedia',
      async send(message, { signal }) {
        const item = {
          content: message.body,
          destination_number: message.to,
          format: 'SMS',
          delivery_report: true,
          callback_url: ctx.receiptUrl('messagemedia', message.tenantId),
          // A code that arrives after it expired is useless: let MessageMedia drop it instead.
          message_expiry_timestamp: new Date(message.expiresAt).toISOString(),
          // Echoed in delivery reports.
          metadata: { challengeId: message.challengeId },
          ...(c.sourceNumber
            ? {
                source_number: c.sourceNumber,
                source_number_type: c.sourceNumber.startsWith('+') ? 'INTERNATIONAL' : 'ALPHANUMERIC',
              }
            : {}),
        };
        const res = await outboundRequest({
          url,
          headers: {
            authorization,
            'content-type': 'application/json',
            accept: 'application/json',
            'user-agent': 'sigil',
          },
          body: JSON.stringify({ messages: [item] }),
          signal,
          policy: ctx.policy,
          label: LABEL,
        });
        const body = jsonOf(res) as { messages?: unknown; message?: unknown; details?: unknown } | undefined;
        const id = Array.isArray(body?.messages)
          ? (body.messages[0] as { message_id?: unknown })?.message_id
          : undefined;
        if (res.status >= 200 && res.status < 300 && typeof id === 'string') return { providerMessageId: id };
        if (res.status >= 200 && res.status < 300) {
          throw new SmsSendError('retryable', 'bad_response', `${LABEL} answered ${res.status} without a message_id`);
        }
        const details = Array.isArray(body?.details) ? body.details.filter((d) => typeof d === 'string') : [];
        const detail = [typeof body?.message === 'string' ? body.message : '', ...details].join(' ').trim();
        if (res.status === 400 && details.some((d) => d.includes('destination_number'))) {
          throw new SmsSendError('number', 'invalid_number', `${LABEL} refused the number: ${detail}`);
        }
        if (res.status === 404) {
          throw new SmsSendError(
            'route',
            'misconfigured',
            `${LABEL} answered HTTP 404: check the base URL (${detail})`,
          );
        }
        throw failureForStatus(res, LABEL, ctx.now(), detail);
      },
    };
  },
  // No signature to check: MessageMedia signs callbacks only with an opt-in RSA key, so the secret token
  // in the receipt URL (checked by the router before this runs) is what authenticates them.
  readReceipt(req) {
    const report = jsonObjectOf(req);
    if (!report) return [];
    const { message_id: id, status: vendorStatus, error_code: code, delivery_report_id: reportId } = report;
    if (typeof id !== 'string' || typeof vendorStatus !== 'string') return [];
    const status = STATUSES.get(vendorStatus);
    // Replies to the message (no status) and statuses Sigil does not track carry nothing.
    if (!status) return [];
    const errorCode = typeof code === 'string' || typeof code === 'number' ? String(code) : undefined;
    return [
      {
        providerMessageId: id,
        status,
        vendorStatus,
        ...(errorCode ? { errorCode } : {}),
        // A retried report keeps its id; a report without one is identified by what it says.
        dedupeKey: typeof reportId === 'string' && reportId ? reportId : `${id}:${vendorStatus}`,
      },
    ] satisfies DeliveryReceipt[];
  },
};

/** Vendor status words; a Map, because the word comes from the callback and must not find `valueOf` or `__proto__`. */
const STATUSES = new Map<string, DeliveryStatus>([
  ['enroute', 'sent'],
  ['submitted', 'sent'],
  ['delivered', 'delivered'],
  ['failed', 'failed'],
  ['rejected', 'failed'],
  ['expired', 'failed'],
]);

import { createHmac } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { constantTimeEqual } from '../../../lib/crypto.js';
import { maskSecret, normalisedBaseUrl } from './fields.js';
import { failureForStatus, jsonOf, outboundRequest } from './http.js';
import {
  type DeliveryReceipt,
  type DeliveryStatus,
  type ProviderDefinition,
  ReceiptRefused,
  SmsSendError,
} from './provider.js';
import { headerOf } from './receipt-body.js';
import { baseUrlField, checkConfig, configSchema, perRules, secret, text, typeField } from './schema.js';

export interface TwilioConfig {
  type: 'twilio';
  accountSid: string;
  authToken: string;
  from?: string;
  messagingServiceSid?: string;
  baseUrl: string;
}

const LABEL = 'Twilio';
const DEFAULT_BASE_URL = 'https://api.twilio.com';

const schema = perRules((rules) =>
  configSchema(
    'Twilio',
    'Twilio Programmable Messaging. Give a sender (from) or a Messaging Service SID, or both.',
    {
      type: typeField('twilio'),
      accountSid: text({
        title: 'Account SID',
        description: 'On the Twilio Console dashboard: AC followed by 32 hex digits.',
        pattern: '^AC[0-9a-fA-F]{32}$',
        hint: 'AC followed by 32 hex digits',
      }),
      authToken: secret({
        title: 'Auth Token',
        description: 'On the Twilio Console dashboard, next to the Account SID.',
        pattern: '^[A-Za-z0-9]{16,64}$',
        hint: '16 to 64 letters and digits',
      }),
      from: Type.Optional(
        text({
          title: 'From',
          description: 'An E.164 number, a short code or an alphanumeric sender ID of at most 11 characters.',
          pattern: '^(\\+[1-9][0-9]{6,14}|[0-9]{3,8}|[A-Za-z0-9 ]{1,11})$',
          hint: 'an E.164 number, a short code or an alphanumeric sender ID of at most 11 characters',
          examples: ['+15017122661'],
        }),
      ),
      messagingServiceSid: Type.Optional(
        text({
          title: 'Messaging Service SID',
          description: 'Sends through a Messaging Service (its sender pool): MG followed by 32 hex digits.',
          pattern: '^MG[0-9a-fA-F]{32}$',
          hint: 'MG followed by 32 hex digits',
        }),
      ),
      baseUrl: Type.Optional(baseUrlField('twilio', DEFAULT_BASE_URL, rules)),
    },
    { anyOf: [{ required: ['from'] }, { required: ['messagingServiceSid'] }] },
  ),
);

/**
 * Twilio's error codes (sms-providers.md §2) that say more than the HTTP status does. A Map, like every
 * table looked up by a value from outside.
 */
const ERRORS = new Map<number, [SmsSendError['kind'], string]>([
  [21211, ['number', 'invalid_number']],
  [21614, ['number', 'not_sms_capable']],
  [21635, ['number', 'not_sms_capable']],
  [21610, ['number', 'opted_out']],
  // Routing and sender limits are this account's, not the number's: another provider may deliver.
  [21612, ['route', 'unsupported_destination']],
  [21408, ['route', 'misconfigured']],
  [21606, ['route', 'sender_not_allowed']],
  [21659, ['route', 'sender_not_allowed']],
  [21608, ['route', 'misconfigured']],
  [20003, ['route', 'auth_failed']],
  [20005, ['route', 'insufficient_funds']],
  [10001, ['route', 'insufficient_funds']],
  [20404, ['route', 'misconfigured']],
  [20429, ['retryable', 'rate_limited']],
]);

/** Twilio Programmable Messaging: a form POST to Messages.json, Basic auth with the Account SID and Auth Token. */
export const twilioProvider: ProviderDefinition<TwilioConfig> = {
  type: 'twilio',
  title: 'Twilio',
  receiptHelp: 'Nothing to set: Sigil gives Twilio this URL as the StatusCallback of every message.',
  schema: (rules) => schema(rules),
  parse(raw, rules) {
    const c = checkConfig(schema(rules), raw, 'twilio') as Omit<TwilioConfig, 'baseUrl'> & { baseUrl?: string };
    return { ...c, baseUrl: normalisedBaseUrl(c.baseUrl, DEFAULT_BASE_URL) };
  },
  mask: (c) => ({ ...c, authToken: maskSecret(c.authToken) }),
  create(c, ctx) {
    const url = new URL(`${c.baseUrl}/2010-04-01/Accounts/${c.accountSid}/Messages.json`);
    const authorization = `Basic ${Buffer.from(`${c.accountSid}:${c.authToken}`).toString('base64')}`;
    return {
      type: 'twilio',
      async send(message, { signal }) {
        const form = new URLSearchParams({ To: message.to, Body: message.body });
        if (c.messagingServiceSid) form.set('MessagingServiceSid', c.messagingServiceSid);
        if (c.from) form.set('From', c.from);
        form.set('StatusCallback', ctx.receiptUrl('twilio', message.tenantId));
        // A code that arrives after it expired is useless: let Twilio drop it instead.
        const validity = Math.ceil((message.expiresAt - ctx.now()) / 1000);
        form.set('ValidityPeriod', String(Math.min(36_000, Math.max(1, validity))));
        const res = await outboundRequest({
          url,
          headers: {
            authorization,
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'application/json',
            'user-agent': 'sigil',
          },
          body: form.toString(),
          signal,
          policy: ctx.policy,
          label: LABEL,
        });
        const body = jsonOf(res) as { sid?: unknown; code?: unknown; message?: unknown } | undefined;
        if (res.status >= 200 && res.status < 300 && typeof body?.sid === 'string') {
          return { providerMessageId: body.sid };
        }
        const code = typeof body?.code === 'number' ? body.code : undefined;
        const detail = `${code ?? ''} ${typeof body?.message === 'string' ? body.message : ''}`.trim();
        const known = code === undefined ? undefined : ERRORS.get(code);
        if (known && res.status >= 400) {
          const { retryAfterMs } = failureForStatus(res, LABEL, ctx.now(), detail);
          throw new SmsSendError(known[0], known[1], `${LABEL} refused the message: ${detail}`, retryAfterMs);
        }
        if (res.status >= 200 && res.status < 300) {
          throw new SmsSendError('retryable', 'bad_response', `${LABEL} answered ${res.status} without a message sid`);
        }
        throw failureForStatus(res, LABEL, ctx.now(), detail);
      },
    };
  },
  readReceipt(req, configs) {
    const signature = headerOf(req, 'x-twilio-signature');
    if (!signature) throw new ReceiptRefused('X-Twilio-Signature is missing');
    const params = new URLSearchParams(req.rawBody.toString('utf8'));
    const signed = twilioSigningInput(req.url, params);
    const given = Buffer.from(signature, 'base64');
    const valid = configs.some((c) =>
      constantTimeEqual(createHmac('sha1', c.authToken).update(signed).digest(), given),
    );
    if (!valid) throw new ReceiptRefused('X-Twilio-Signature does not match');
    const sid = params.get('MessageSid') ?? params.get('SmsSid');
    const vendorStatus = params.get('MessageStatus') ?? params.get('SmsStatus') ?? '';
    const status = STATUSES.get(vendorStatus);
    if (!sid || !status) return [];
    const errorCode = params.get('ErrorCode') || undefined;
    return [
      { providerMessageId: sid, status, vendorStatus, errorCode, dedupeKey: `${sid}:${vendorStatus}` },
    ] satisfies DeliveryReceipt[];
  },
};

/** Vendor status words; a Map, because the word comes from the callback and must not find `valueOf` or `__proto__`. */
const STATUSES = new Map<string, DeliveryStatus>([
  ['sent', 'sent'],
  ['delivered', 'delivered'],
  ['failed', 'failed'],
  ['undelivered', 'failed'],
]);

/** What Twilio signs for a form callback: the full URL, then every parameter's name and value, sorted by name. */
function twilioSigningInput(url: string, params: URLSearchParams): string {
  const keys = [...new Set(params.keys())].sort();
  return (
    url +
    keys
      .map((k) =>
        params
          .getAll(k)
          .map((v) => k + v)
          .join(''),
      )
      .join('')
  );
}

/** Signs like Twilio does; the fake uses it to send status callbacks. */
export function twilioSignature(authToken: string, url: string, params: URLSearchParams): string {
  return createHmac('sha1', authToken).update(twilioSigningInput(url, params)).digest('base64');
}

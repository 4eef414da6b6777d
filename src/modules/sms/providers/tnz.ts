import { Type } from '@sinclair/typebox';
import { maskSecret, normalisedBaseUrl } from './fields.js';
import { failureForStatus, jsonOf, outboundRequest, retryAfterMs } from './http.js';
import { type DeliveryReceipt, type DeliveryStatus, type ProviderDefinition, SmsSendError } from './provider.js';
import { isRecord, jsonObjectOf } from './receipt-body.js';
import { baseUrlField, checkConfig, configSchema, perRules, secret, text as textField, typeField } from './schema.js';

export interface TnzConfig {
  type: 'tnz';
  /** TNZ's Auth Token (Dashboard → Users → API), sent as is after `Basic `. */
  apiKey: string;
  fromNumber?: string;
  baseUrl: string;
}

const LABEL = 'TNZ';
const DEFAULT_BASE_URL = 'https://api.tnz.co.nz';

const schema = perRules((rules) =>
  configSchema('TNZ', "TNZ's REST API v2.04. Receipts need Sigil's public URL to be https.", {
    type: typeField('tnz'),
    // A JWT-like token: base64url parts and dots, nothing that could break the header.
    apiKey: secret({
      title: 'Auth Token',
      description: 'Dashboard → Users → API: the Auth Token exactly as exported, without "Basic ".',
      pattern: '^[A-Za-z0-9._~+/=-]{16,}$',
      maxLength: 4096,
      hint: 'the Auth Token exactly as exported from the TNZ Dashboard, without "Basic "',
    }),
    fromNumber: Type.Optional(
      textField({
        title: 'From number',
        description: "A number or short code enabled on the TNZ account. Default: the account's.",
        pattern: '^\\+?[1-9][0-9]{2,14}$',
        hint: 'a number or short code enabled on the TNZ account',
      }),
    ),
    baseUrl: Type.Optional(baseUrlField('tnz', DEFAULT_BASE_URL, rules)),
  }),
);

/** TNZ's documented ErrorMessage texts (sms-providers.md §5) that say more than `Result: "Failed"`. */
const ERRORS: [RegExp, SmsSendError['kind'], string][] = [
  [/unauthori[sz]ed/i, 'route', 'auth_failed'],
  [/error occurred while creating job/i, 'retryable', 'server_error'],
  [/could not find any valid destination/i, 'number', 'invalid_number'],
];

interface TnzAnswer {
  Result?: unknown;
  MessageID?: unknown;
  ErrorMessage?: unknown;
}

/**
 * TNZ REST API v2.04: a JSON POST to send/sms with the Auth Token verbatim as the Basic credential.
 * "Success" only means accepted: TNZ checks the token, the credit and opt-outs afterwards and reports
 * failures by webhook (or by email to the account), so most failures arrive as receipts.
 */
export const tnzProvider: ProviderDefinition<TnzConfig> = {
  type: 'tnz',
  title: 'TNZ',
  receiptHelp: "Nothing to set: Sigil gives TNZ this URL with every message, once Sigil's public URL is https.",
  schema: (rules) => schema(rules),
  parse(raw, rules) {
    const c = checkConfig(schema(rules), raw, 'tnz') as Omit<TnzConfig, 'baseUrl'> & { baseUrl?: string };
    return { ...c, baseUrl: normalisedBaseUrl(c.baseUrl, DEFAULT_BASE_URL) };
  },
  mask: (c) => ({ ...c, apiKey: maskSecret(c.apiKey) }),
  create(c, ctx) {
    const url = new URL(`${c.baseUrl}/api/v2.04/send/sms`);
    return {
      type: 'tnz',
      async send(message, { signal }) {
        const data: Record<string, unknown> = {
          Message: message.body,
          Destinations: [{ Recipient: message.to }],
          Reference: message.actionCode,
        };
        // Ours rather than TNZ's UUID: the challenge and send number, the same across retries of this
        // send (so TNZ can see a retry as the same message) and new for a resend. ≤40 alphanumerics.
        const messageId = message.sendId.replace(/[^A-Za-z0-9]/g, '').slice(0, 40);
        if (messageId) data.MessageID = messageId;
        if (c.fromNumber) data.FromNumber = c.fromNumber;
        // TNZ refuses a non-https callback URL outright; without one it uses the account's default, if any.
        const callback = ctx.receiptUrl('tnz', message.tenantId);
        if (callback.startsWith('https://')) data.WebhookCallbackURL = callback;
        data.WebhookCallbackFormat = 'JSON';
        const res = await outboundRequest({
          url,
          headers: {
            authorization: `Basic ${c.apiKey}`,
            'content-type': "application/json; encoding='utf-8'",
            accept: "application/json; encoding='utf-8'",
            'user-agent': 'sigil',
          },
          body: JSON.stringify({ MessageData: data }),
          signal,
          policy: ctx.policy,
          label: LABEL,
        });
        const ok = res.status >= 200 && res.status < 300;
        const body = jsonOf(res) as TnzAnswer | undefined;
        if (ok && body?.Result === 'Success' && typeof body.MessageID === 'string' && body.MessageID) {
          return { providerMessageId: body.MessageID };
        }
        const result = typeof body?.Result === 'string' ? body.Result : '';
        const errors = Array.isArray(body?.ErrorMessage)
          ? body.ErrorMessage.filter((e): e is string => typeof e === 'string')
          : [];
        const detail = [result, ...errors].filter(Boolean).join(': ');
        const known = ERRORS.find(([pattern]) => pattern.test(`${result} ${errors.join(' ')}`));
        if (res.status === 401 || res.status === 403 || known?.[2] === 'auth_failed') {
          throw new SmsSendError(
            'route',
            'auth_failed',
            `${LABEL} refused the Auth Token (HTTP ${res.status}) ${detail}`.trim(),
          );
        }
        const byStatus = failureForStatus(res, LABEL, ctx.now(), detail);
        if (byStatus.kind === 'retryable') throw byStatus;
        if (known) {
          const retryAfter = retryAfterMs(res.headers['retry-after'], ctx.now());
          throw new SmsSendError(known[1], known[2], `${LABEL} refused the message: ${detail}`, retryAfter);
        }
        if (result === 'Failed') {
          throw new SmsSendError('route', 'bad_request', `${LABEL} refused the message: ${detail}`);
        }
        if (ok) {
          throw new SmsSendError('retryable', 'bad_response', `${LABEL} answered ${res.status} without a MessageID`);
        }
        throw byStatus;
      },
    };
  },
  /**
   * TNZ does not sign its webhooks: the router has already checked the secret token in the receipt URL.
   * The webhook's fields are not documented (sms-providers.md §9), so this reads defensively: the
   * MessageID, and a status word in `Status` or `Result`, on the payload or on each of its `Recipients`.
   */
  readReceipt(req) {
    const payload = jsonObjectOf(req);
    if (!payload) return [];
    const id = text(payload.MessageID);
    // Inbound replies come to the same URL and carry no delivery status.
    if (!id || /repl/i.test(text(payload.Type) ?? '')) return [];
    const recipients = Array.isArray(payload.Recipients) ? payload.Recipients.filter(isRecord) : [];
    return (recipients.length > 0 ? recipients : [payload]).flatMap((entry) => receipt(id, entry));
  },
};

/**
 * Status words from the SDKs' status enum and result texts, lower-cased. Others (Delayed, Unknown) are
 * not tracked. A Map: the word comes from an unsigned callback and must not find `valueOf` or `__proto__`.
 */
const STATUSES = new Map<string, DeliveryStatus>([
  ['success', 'delivered'],
  ['delivered', 'delivered'],
  ['completed', 'delivered'],
  ['failed', 'failed'],
  ['error', 'failed'],
  // Held until the account has credit [INF]: a code that waits for a top-up is as good as lost.
  ['credithold', 'failed'],
  ['transmit', 'sent'],
  ['pending', 'sent'],
  ['received', 'sent'],
]);

function receipt(providerMessageId: string, entry: Record<string, unknown>): DeliveryReceipt[] {
  const vendorStatus = text(entry.Status) ?? text(entry.Result);
  const status = vendorStatus ? STATUSES.get(vendorStatus.toLowerCase()) : undefined;
  if (!vendorStatus || !status) return [];
  // `Result` beside a `Status` is a detail ("Sent OK", a failure reason): an error code only on failure.
  const result = text(entry.Result);
  const errorCode =
    status === 'failed' ? (text(entry.ErrorCode) ?? (result !== vendorStatus ? result : undefined)) : undefined;
  return [{ providerMessageId, status, vendorStatus, errorCode, dedupeKey: `${providerMessageId}:${vendorStatus}` }];
}

function text(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

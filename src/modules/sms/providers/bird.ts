import { createHash, createHmac } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { constantTimeEqual } from '../../../lib/crypto.js';
import { maskSecret, normalisedBaseUrl } from './fields.js';
import { failureForStatus, jsonOf, outboundRequest } from './http.js';
import {
  type DeliveryReceipt,
  type DeliveryStatus,
  type InboundReceipt,
  type ProviderDefinition,
  ReceiptRefused,
  SmsSendError,
} from './provider.js';
import { headerOf, isRecord, jsonObjectOf } from './receipt-body.js';
import { baseUrlField, checkConfig, configSchema, perRules, secret, text, typeField } from './schema.js';

export interface BirdConfig {
  type: 'bird';
  accessKey: string;
  workspaceId: string;
  channelId: string;
  /** The signing key of the `sms.outbound` webhook subscription; without it, receipts cannot be verified. */
  signingKey?: string;
  baseUrl: string;
}

const LABEL = 'Bird';
const DEFAULT_BASE_URL = 'https://api.bird.com';
const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
const UUID_HINT = 'a UUID (not the ws_… name in dashboard URLs)';

const schema = perRules((rules) =>
  configSchema('Bird', "Bird's Channels API. The SMS channel fixes the sender.", {
    type: typeField('bird'),
    accessKey: secret({
      title: 'Access key',
      description: 'An access key of the workspace (Settings → Access keys), allowed to send on the channel.',
      pattern: '^[!-~]+$',
      hint: 'printable ASCII, no spaces',
    }),
    workspaceId: text({
      title: 'Workspace ID',
      description: "The workspace's UUID, not the ws_… name in dashboard URLs.",
      pattern: UUID_PATTERN,
      hint: UUID_HINT,
    }),
    channelId: text({
      title: 'Channel ID',
      description: "The SMS channel's UUID (Channels → the channel → Channel ID).",
      pattern: UUID_PATTERN,
      hint: UUID_HINT,
    }),
    signingKey: Type.Optional(
      secret({
        title: 'Webhook signing key',
        description:
          'The signing key of your sms.outbound webhook subscription (pointed at the receipt URL). Without it, receipts are refused.',
        pattern: '^[ -~]+$',
        hint: 'printable ASCII',
      }),
    ),
    baseUrl: Type.Optional(baseUrlField('bird', DEFAULT_BASE_URL, rules)),
  }),
);

/** How far a receipt's timestamp may be from our clock: a replayed old callback is refused. */
const RECEIPT_TOLERANCE_MS = 5 * 60 * 1000;

/**
 * Bird's Channels API (sms-providers.md §3): a JSON POST to the SMS channel's messages, `AccessKey`
 * auth, 202 with the message's UUID. The channel fixes the sender.
 *
 * Most recipient problems (opted out, insufficient credit, unknown subscriber) are not refused here:
 * Bird accepts with 202 and later reports `sending_failed` / `delivery_failed` through the webhook, so
 * they surface as failed receipts, not as SmsSendErrors.
 */
export const birdProvider: ProviderDefinition<BirdConfig> = {
  type: 'bird',
  title: 'Bird',
  receiptHelp:
    'Create a webhook subscription (service channels, event sms.outbound) with this URL, and paste its signing key here.',
  schema: (rules) => schema(rules),
  parse(raw, rules) {
    const c = checkConfig(schema(rules), raw, 'bird') as Omit<BirdConfig, 'baseUrl'> & { baseUrl?: string };
    return { ...c, baseUrl: normalisedBaseUrl(c.baseUrl, DEFAULT_BASE_URL) };
  },
  mask: (c) => ({
    ...c,
    accessKey: maskSecret(c.accessKey),
    ...(c.signingKey ? { signingKey: maskSecret(c.signingKey) } : {}),
  }),
  create(c, ctx) {
    const url = new URL(`${c.baseUrl}/workspaces/${c.workspaceId}/channels/${c.channelId}/messages`);
    return {
      type: 'bird',
      async send(message, { signal }) {
        const res = await outboundRequest({
          url,
          headers: {
            authorization: `AccessKey ${c.accessKey}`,
            'content-type': 'application/json',
            accept: 'application/json',
            'user-agent': 'sigil',
          },
          body: JSON.stringify({
            receiver: { contacts: [{ identifierKey: 'phonenumber', identifierValue: message.to }] },
            body: { type: 'text', text: { text: message.body } },
            // Echoed back in receipts and the dashboard: ties Bird's message to the challenge.
            reference: message.challengeId,
          }),
          signal,
          policy: ctx.policy,
          label: LABEL,
        });
        const body = jsonOf(res) as { id?: unknown; code?: unknown; message?: unknown; details?: unknown } | undefined;
        if (res.status >= 200 && res.status < 300 && typeof body?.id === 'string') {
          return { providerMessageId: body.id };
        }
        if (res.status >= 200 && res.status < 300) {
          throw new SmsSendError('retryable', 'bad_response', `${LABEL} answered ${res.status} without a message id`);
        }
        const detail = errorDetail(body);
        if (res.status === 404) {
          throw new SmsSendError('route', 'misconfigured', `${LABEL} knows no such workspace or channel: ${detail}`);
        }
        if ([400, 409, 422].includes(res.status) && concernsReceiverNumber(body?.details)) {
          throw new SmsSendError('number', 'invalid_number', `${LABEL} refused the number: ${detail}`);
        }
        throw failureForStatus(res, LABEL, ctx.now(), detail);
      },
    };
  },
  readReceipt(req, configs, now) {
    verify(req, configs, now);
    const envelope = jsonObjectOf(req);
    if (!envelope) return [];
    // Other events (an inbound reply, say) carry no delivery status.
    if (typeof envelope.event === 'string' && envelope.event !== 'sms.outbound') return [];
    const payload = isRecord(envelope.payload) ? envelope.payload : envelope;
    const { id, status: vendorStatus } = payload;
    if (typeof id !== 'string' || typeof vendorStatus !== 'string') return [];
    const status = STATUSES.get(vendorStatus);
    if (!status) return [];
    const failure = isRecord(payload.failure) ? payload.failure : undefined;
    const code = failure?.code ?? payload.reason;
    const errorCode = typeof code === 'string' || typeof code === 'number' ? String(code) : undefined;
    const requestId = headerOf(req, 'messagebird-request-id');
    return [
      {
        providerMessageId: id,
        status,
        vendorStatus,
        ...(errorCode ? { errorCode } : {}),
        // Bird retries a failed delivery with the same request id.
        dedupeKey: requestId ?? `${id}:${vendorStatus}`,
      },
    ] satisfies DeliveryReceipt[];
  },
};

/** Vendor status words; a Map, because the word comes from the callback and must not find `valueOf` or `__proto__`. */
const STATUSES = new Map<string, DeliveryStatus>([
  ['sent', 'sent'],
  ['delivered', 'delivered'],
  ['sending_failed', 'failed'],
  ['delivery_failed', 'failed'],
]);

/** Throws ReceiptRefused unless a config's signing key signed this request, recently. */
function verify(req: InboundReceipt, configs: BirdConfig[], now: number): void {
  const signature = headerOf(req, 'messagebird-signature');
  const timestamp = headerOf(req, 'messagebird-request-timestamp');
  if (!signature || !timestamp) throw new ReceiptRefused('messagebird-signature or its timestamp is missing');
  if (!/^\d{1,16}$/.test(timestamp)) throw new ReceiptRefused('messagebird-request-timestamp is not a number');
  // Documented as unix seconds; accept milliseconds too, which are unmistakably larger.
  const ms = Number(timestamp) > 1e12 ? Number(timestamp) : Number(timestamp) * 1000;
  if (Math.abs(now - ms) > RECEIPT_TOLERANCE_MS) throw new ReceiptRefused('messagebird-request-timestamp is stale');
  const keys = configs.flatMap((c) => (c.signingKey ? [c.signingKey] : []));
  if (keys.length === 0) throw new ReceiptRefused('no Bird provider has a signingKey to verify receipts with');
  const signed = birdSigningInput(timestamp, req.url, req.rawBody);
  const given = Buffer.from(signature, 'base64');
  const valid = keys.some((k) => constantTimeEqual(createHmac('sha256', k).update(signed).digest(), given));
  if (!valid) throw new ReceiptRefused('messagebird-signature does not match');
}

/** What Bird signs: the timestamp and the full URL as text, then the body's SHA-256 as raw bytes. */
function birdSigningInput(timestamp: string, url: string, rawBody: Buffer | string): Buffer {
  return Buffer.concat([Buffer.from(`${timestamp}\n${url}\n`), createHash('sha256').update(rawBody).digest()]);
}

/** Signs like Bird does; the fake uses it to send webhooks. */
export function birdSignature(
  signingKey: string,
  timestampSeconds: number | string,
  url: string,
  rawBody: Buffer | string,
): string {
  return createHmac('sha256', signingKey)
    .update(birdSigningInput(String(timestampSeconds), url, rawBody))
    .digest('base64');
}

/**
 * True when every validation detail is about the receiver's phone number, e.g.
 * `{".receiver.contacts[0].identifierValue": [...]}`: then the number is bad, not our request.
 */
function concernsReceiverNumber(details: unknown): boolean {
  const paths = isRecord(details) ? Object.keys(details) : [];
  return paths.length > 0 && paths.every((p) => /^\.?receiver\.contacts\[\d+\]\.identifierValue$/.test(p));
}

function errorDetail(body: { code?: unknown; message?: unknown; details?: unknown } | undefined): string {
  const parts = [body?.code, body?.message].filter((p) => typeof p === 'string');
  if (body?.details !== undefined) parts.push(JSON.stringify(body.details).slice(0, 300));
  return parts.join(' ');
}

import type { ServerResponse } from 'node:http';
import { birdSignature } from '../../src/modules/sms/providers/bird.js';
import {
  type AcceptedMessage,
  commonScenarios,
  type Expectations,
  json,
  MAGIC,
  postTo,
  type ReceiptSender,
  type RecordedRequest,
  startVendorFake,
  uuidOf,
  type VendorFake,
} from './common.js';

const WORKSPACE_ID = '6b1c2a4e-0f57-4c1e-9d0a-1f2e3d4c5b6a';
const CHANNEL_ID = '9e8d7c6b-5a49-4382-a716-05f4e3d2c1b0';
const ACCESS_KEY = 'bird-access-key-0123456789abcdefghijklmnop';
const SIGNING_KEY = 'bird-signing-key-0123456789';

/**
 * What the conformance suite should expect for the scenario numbers. Bird validates the number's
 * format synchronously (422 naming the identifierValue), but reports opt-outs and insufficient credit
 * only asynchronously, as a failed `sms.outbound` webhook (sms-providers.md §1, §3).
 */
export const expectations: Expectations = {
  invalidNumber: { kind: 'number', reason: 'invalid_number' },
  optedOut: 'accepted',
  insufficientFunds: 'accepted',
};

/**
 * How each failure shows in the webhook. Bird's 14xxx list was not captured (§3), so those two codes are
 * placeholders in the documented range; 15005 "unknown_subscriber" is Bird's own example.
 */
const FAILURES: Record<string, { status: string; reason: string; code: number; source: string }> = {
  [MAGIC.optedOut]: { status: 'sending_failed', reason: 'contact opted out', code: 14002, source: 'bird' },
  [MAGIC.insufficientFunds]: { status: 'sending_failed', reason: 'insufficient credit', code: 14001, source: 'bird' },
  [MAGIC.failsByReceipt]: { status: 'delivery_failed', reason: 'unknown_subscriber', code: 15005, source: 'operator' },
};

/** Sent when the caller asks for a failed receipt for a number with no failure of its own. */
const DEFAULT_FAILURE = { status: 'delivery_failed', reason: 'unknown_subscriber', code: 15005, source: 'operator' };

/** The parts of a send request that the fake checks. */
interface BirdRequest {
  receiver?: { contacts?: unknown };
  body?: { type?: unknown; text?: { text?: unknown } };
  template?: unknown;
  reference?: unknown;
}

/**
 * Bird's Channels API as sms-providers.md §3 describes it: workspace and channel UUIDs in the path,
 * `AccessKey` auth, a JSON body with one phone-number contact and a text body, 202 with the message
 * object, `{code, message, details}` errors, and webhooks signed with the subscription's signing key.
 */
export async function startBirdFake(): Promise<VendorFake & ReceiptSender> {
  const messages: (AcceptedMessage & { reference?: string; createdAt: string })[] = [];
  const error = (res: ServerResponse, status: number, code: string, message: string, extra = {}, headers = {}) =>
    json(res, status, { code, message, ...extra }, headers);
  const invalid = (res: ServerResponse, details: Record<string, string[]>) =>
    error(res, 422, 'InvalidPayload', 'One or more fields provided in the request body are malformed', { details });

  const scenario = commonScenarios({
    rateLimited: (res, headers) => error(res, 429, 'TooManyRequests', 'Too many requests', {}, headers),
    serverError: (res) => error(res, 500, 'InternalServerError', 'An internal error occurred'),
  });

  const handle = (req: RecordedRequest, res: ServerResponse) => {
    const path = /^\/workspaces\/([^/]+)\/channels\/([^/]+)\/messages$/.exec(req.url);
    if (req.method !== 'POST' || !path) return error(res, 404, 'NotFound', 'The requested resource was not found');
    if (req.headers.authorization !== `AccessKey ${ACCESS_KEY}`) {
      return error(res, 401, 'Unauthorized', 'Invalid or missing access key');
    }
    if (path[1] !== WORKSPACE_ID || path[2] !== CHANNEL_ID) {
      return error(res, 404, 'NotFound', 'The requested resource was not found');
    }
    if (!req.headers['content-type']?.startsWith('application/json')) {
      return error(res, 400, 'InvalidPayload', 'The request body must be JSON');
    }
    let payload: BirdRequest;
    try {
      payload = JSON.parse(req.rawBody) ?? {};
    } catch {
      return error(res, 400, 'InvalidPayload', 'The request body is not valid JSON');
    }
    const contacts = payload.receiver?.contacts;
    if (!Array.isArray(contacts) || contacts.length !== 1 || typeof contacts[0] !== 'object' || !contacts[0]) {
      return invalid(res, { '.receiver.contacts': ['exactly one contact is required for an SMS'] });
    }
    const contact = contacts[0] as Record<string, unknown>;
    // Bird refuses properties that it does not know (its live 422 names one on a contact).
    for (const key of Object.keys(contact)) {
      if (!['id', 'identifierKey', 'identifierValue'].includes(key)) {
        return invalid(res, { '.receiver.contacts[0]': [`property "${key}" is unsupported`] });
      }
    }
    if (contact.identifierKey !== undefined && contact.identifierKey !== 'phonenumber') {
      return invalid(res, { '.receiver.contacts[0].identifierKey': ['must be "phonenumber" on an SMS channel'] });
    }
    const to = contact.identifierValue;
    if (typeof to !== 'string' || !/^\+\d{8,15}$/.test(to) || to === MAGIC.invalidNumber) {
      return invalid(res, { '.receiver.contacts[0].identifierValue': ['value is not a valid phone number'] });
    }
    if (payload.template !== undefined && payload.body !== undefined) {
      return invalid(res, { '.body': ['exactly one of body or template is allowed'] });
    }
    if (payload.body?.type !== 'text') return invalid(res, { '.body.type': ['must be "text" on an SMS channel'] });
    const text = payload.body?.text?.text;
    if (typeof text !== 'string' || text === '') return invalid(res, { '.body.text.text': ['is required'] });
    if (payload.reference !== undefined && typeof payload.reference !== 'string') {
      return invalid(res, { '.reference': ['must be a string'] });
    }
    if (scenario(to, res)) return;
    // Opted-out and unfunded numbers are accepted too: Bird tells by webhook (see FAILURES).
    const id = `00000000-0000-4000-8000-${messages.length.toString(16).padStart(12, '0')}`;
    const createdAt = new Date().toISOString();
    const reference = typeof payload.reference === 'string' ? payload.reference : undefined;
    messages.push({ id, to, text, reference, createdAt });
    json(res, 202, messageObject(messages[messages.length - 1] as (typeof messages)[number], 'accepted', createdAt));
  };

  const messageObject = (m: (typeof messages)[number], status: string, updatedAt: string) => ({
    id: m.id,
    channelId: CHANNEL_ID,
    sender: { connector: { identifierValue: '+6421555000' } },
    receiver: { contacts: [{ identifierKey: 'phonenumber', identifierValue: m.to }] },
    body: { type: 'text', text: { text: m.text } },
    ...(m.reference !== undefined ? { reference: m.reference } : {}),
    status,
    direction: 'outgoing',
    parts: [{ platformReference: `ref-${m.id.slice(-12)}` }],
    createdAt: m.createdAt,
    updatedAt,
    lastStatusAt: updatedAt,
  });

  const fake = await startVendorFake({
    type: 'bird',
    fields: { accessKey: ACCESS_KEY, workspaceId: WORKSPACE_ID, channelId: CHANNEL_ID, signingKey: SIGNING_KEY },
    wrong: { accessKey: 'bird-access-key-wrong-000000000000000000' },
    messages,
    outage: (res) => error(res, 503, 'ServiceUnavailable', 'Service temporarily unavailable'),
    handle,
  });
  return {
    ...fake,
    async postReceipt(url, messageId, outcome, options = {}) {
      const message = messages.find((m) => m.id === messageId);
      const failure = (message && FAILURES[message.to]) ?? (outcome === 'failed' ? DEFAULT_FAILURE : undefined);
      const status = failure?.status ?? 'delivered';
      const now = new Date().toISOString();
      const payload = message
        ? messageObject(message, status, now)
        : { id: messageId, channelId: CHANNEL_ID, status, direction: 'outgoing', updatedAt: now };
      const body = JSON.stringify({
        service: 'channels',
        event: 'sms.outbound',
        payload: {
          ...payload,
          ...(failure ? { reason: failure.reason, failure: { code: failure.code, source: failure.source } } : {}),
        },
      });
      const timestamp = Math.floor((options.timestampMs ?? Date.now()) / 1000);
      const signature = birdSignature(options.tamper ? 'wrong-signing-key' : SIGNING_KEY, timestamp, url, body);
      return postTo(url, body, {
        'content-type': 'application/json',
        'messagebird-signature': signature,
        'messagebird-request-timestamp': String(timestamp),
        // A retried delivery of the same event carries the same request id.
        'messagebird-request-id': uuidOf(`${messageId}:${status}`),
      });
    },
  };
}

import type { ServerResponse } from 'node:http';
import {
  type AcceptedMessage,
  basicAuth,
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

const API_KEY = 'mmKey0123456789abcdef';
const API_SECRET = 'mmSecret0123456789abcdefghijklm';
/** Senders registered to the fake account (since March 2024 a source must be registered). */
const REGISTERED_SOURCES = ['SigilTest', '+6421555000'];

/**
 * What the conformance suite should expect for the scenario numbers. MessageMedia refuses a malformed
 * destination synchronously (400 naming destination_number), but blocked numbers and insufficient credit
 * come later as `rejected` delivery reports (sms-providers.md §1, §4).
 */
export const expectations: Expectations = {
  invalidNumber: { kind: 'number', reason: 'invalid_number' },
  optedOut: 'accepted',
  insufficientFunds: 'accepted',
};

/** How each failure shows in the delivery report, with MessageMedia's documented error codes. */
const FAILURES: Record<string, { status: string; code: number }> = {
  [MAGIC.optedOut]: { status: 'rejected', code: 302 }, // destination blocked (STOP blacklist)
  [MAGIC.insufficientFunds]: { status: 'rejected', code: 301 }, // usage threshold reached
  [MAGIC.failsByReceipt]: { status: 'failed', code: 400 }, // undeliverable
};

const SOURCE_TYPES = ['INTERNATIONAL', 'ALPHANUMERIC', 'SHORTCODE'];

interface Accepted extends AcceptedMessage {
  deliveryReport: boolean;
  source?: string;
  metadata?: unknown;
  submitted: string;
}

/**
 * MessageMedia's Messages API as sms-providers.md §4 describes it: Basic auth with the API key and
 * secret, a JSON `messages` array validated all-or-nothing, 202 echoing each message with a UUID
 * `message_id` and `status: "queued"`, `{message, details[]}` errors, and unsigned JSON delivery reports.
 */
export async function startMessageMediaFake(): Promise<VendorFake & ReceiptSender> {
  const messages: Accepted[] = [];
  const error = (res: ServerResponse, status: number, message: string, details?: string[], headers = {}) =>
    json(res, status, { message, ...(details ? { details } : {}) }, headers);
  const badRequest = (res: ServerResponse, details: string[]) =>
    error(res, 400, 'Request failed to parse correctly, please check the request format', details);

  const scenario = commonScenarios({
    rateLimited: (res, headers) => error(res, 429, 'Too Many Requests', undefined, headers),
    serverError: (res) => error(res, 500, 'Internal Server Error'),
  });

  const handle = (req: RecordedRequest, res: ServerResponse) => {
    const auth = basicAuth(req);
    if (!auth || auth.user !== API_KEY || auth.password !== API_SECRET) {
      return error(res, 401, 'Invalid authentication credentials');
    }
    if (req.method !== 'POST' || req.url !== '/v1/messages') return error(res, 404, 'Resource not found.');
    if (!req.headers['content-type']?.startsWith('application/json')) {
      return badRequest(res, ['Content-Type must be application/json']);
    }
    let payload: { messages?: unknown };
    try {
      payload = JSON.parse(req.rawBody) ?? {};
    } catch {
      return badRequest(res, ['Request body is not valid JSON']);
    }
    const items = payload.messages;
    if (!Array.isArray(items) || items.length < 1 || items.length > 100) {
      return badRequest(res, ['/messages: must contain between 1 and 100 messages']);
    }
    // All-or-nothing: every problem of every message is reported, and nothing is sent.
    const details = items.flatMap((item, i) => problems(item, `/messages/${i}`));
    if (details.length > 0) return badRequest(res, details);
    const to = (items as Record<string, unknown>[]).map((m) => m.destination_number as string);
    for (const number of to) {
      if (scenario(number, res)) return;
    }
    // Blocked and unfunded numbers are accepted too: MessageMedia tells by delivery report (see FAILURES).
    const accepted = (items as Record<string, unknown>[]).map((item) => {
      const id = `00000000-0000-4000-9000-${messages.length.toString(16).padStart(12, '0')}`;
      const deliveryReport = item.delivery_report === true;
      messages.push({
        id,
        to: item.destination_number as string,
        text: item.content as string,
        callbackUrl: deliveryReport ? (item.callback_url as string | undefined) : undefined,
        deliveryReport,
        source: item.source_number as string | undefined,
        metadata: item.metadata,
        submitted: new Date().toISOString(),
      });
      return { format: 'SMS', delivery_report: false, ...item, message_id: id, status: 'queued' };
    });
    json(res, 202, { messages: accepted });
  };

  const fake = await startVendorFake({
    type: 'messagemedia',
    fields: { apiKey: API_KEY, apiSecret: API_SECRET, sourceNumber: 'SigilTest' },
    wrong: { apiSecret: 'mmSecretWrong000000000000000000' },
    messages,
    outage: (res) => error(res, 503, 'Service Unavailable'),
    handle,
  });
  return {
    ...fake,
    async postReceipt(url, messageId, outcome, _options = {}) {
      // Unsigned, as by default: the token in the URL authenticates it, so `tamper` changes nothing.
      const message = messages.find((m) => m.id === messageId);
      if (message && !message.deliveryReport) {
        throw new Error(`MessageMedia sends no delivery report for ${messageId}: delivery_report was not true`);
      }
      const failure =
        (message && FAILURES[message.to]) ?? (outcome === 'failed' ? FAILURES[MAGIC.failsByReceipt] : undefined);
      const status = failure?.status ?? 'delivered';
      const body = JSON.stringify({
        callback_url: url,
        delivery_report_id: uuidOf(`${messageId}:${status}`),
        // MessageMedia names the original destination `source_number` in a report.
        source_number: message?.to ?? '',
        date_received: new Date().toISOString(),
        status,
        delay: 0,
        billing_units: 1,
        submitted_date: message?.submitted ?? new Date().toISOString(),
        original_text: message?.text ?? '',
        message_id: messageId,
        vendor_account_id: { vendor_id: 'MessageMedia', account_id: 'SigilTest' },
        error_code: failure?.code ?? 220,
        ...(message?.metadata ? { metadata: message.metadata } : {}),
      });
      return postTo(url, body, { 'content-type': 'application/json' });
    },
  };
}

/** What MessageMedia's validation says about one message, as `details` lines. */
function problems(item: unknown, at: string): string[] {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return [`${at}: must be an object`];
  const m = item as Record<string, unknown>;
  const out: string[] = [];
  if (typeof m.content !== 'string' || m.content.length < 1 || m.content.length > 5000) {
    out.push(`${at}/content: must be between 1 and 5000 characters`);
  }
  const to = m.destination_number;
  if (typeof to !== 'string' || !/^\+\d{8,15}$/.test(to)) {
    out.push(`${at}/destination_number: International address must be between 8 and 15 characters and start with +`);
  } else if (to === MAGIC.invalidNumber) {
    out.push(`${at}/destination_number: ${to} is not a valid mobile number`);
  }
  if (m.format !== undefined && !['SMS', 'MMS', 'TTS'].includes(m.format as string)) {
    out.push(`${at}/format: must be one of SMS, MMS, TTS`);
  }
  if (m.delivery_report !== undefined && typeof m.delivery_report !== 'boolean') {
    out.push(`${at}/delivery_report: must be a boolean`);
  }
  if (m.callback_url !== undefined && (typeof m.callback_url !== 'string' || !URL.canParse(m.callback_url))) {
    out.push(`${at}/callback_url: must be a valid URL`);
  }
  if (m.message_expiry_timestamp !== undefined) {
    const expiry = m.message_expiry_timestamp;
    if (typeof expiry !== 'string' || Number.isNaN(Date.parse(expiry))) {
      out.push(`${at}/message_expiry_timestamp: must be an ISO 8601 date-time`);
    }
  }
  if (m.metadata !== undefined) {
    const entries = typeof m.metadata === 'object' && m.metadata !== null ? Object.entries(m.metadata) : undefined;
    const ok =
      entries !== undefined &&
      entries.length <= 10 &&
      entries.every(([k, v]) => k.length <= 100 && typeof v === 'string' && v.length <= 256);
    if (!ok) out.push(`${at}/metadata: at most 10 string values, keys up to 100 and values up to 256 characters`);
  }
  out.push(...sourceProblems(m, at));
  return out;
}

function sourceProblems(m: Record<string, unknown>, at: string): string[] {
  const source = m.source_number;
  const type = m.source_number_type;
  if (source === undefined) {
    return type === undefined ? [] : [`${at}/source_number_type: requires source_number`];
  }
  if (typeof source !== 'string') return [`${at}/source_number: must be a string`];
  if (type !== undefined && !SOURCE_TYPES.includes(type as string)) {
    return [`${at}/source_number_type: must be one of ${SOURCE_TYPES.join(', ')}`];
  }
  const international = /^\+\d{8,15}$/.test(source);
  const alphanumeric = /^[A-Za-z0-9 ]{3,11}$/.test(source);
  if (type === 'INTERNATIONAL' && !international) {
    return [`${at}/source_number: International address must be between 8 and 15 characters and start with +`];
  }
  if (type === 'ALPHANUMERIC' && !alphanumeric) {
    return [`${at}/source_number: an alphanumeric sender must be 3 to 11 letters or digits`];
  }
  if (!international && !alphanumeric && !/^\d{3,8}$/.test(source)) {
    return [`${at}/source_number: not a valid number, short code or alphanumeric sender`];
  }
  if (!REGISTERED_SOURCES.includes(source)) return [`${at}/source_number: ${source} is not registered to this account`];
  return [];
}

import type { ServerResponse } from 'node:http';
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
  type VendorFake,
} from './common.js';

// A JWT-like Auth Token, as the TNZ Dashboard exports it.
const AUTH_TOKEN = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzaWdpbC10ZXN0cyJ9.c2lnaWwtdG56LWZha2UtdG9rZW4';
const FROM = '+6421000000';

/** What the conformance suite should expect for the magic numbers that differ between vendors. */
export const expectations: Expectations = {
  invalidNumber: { kind: 'number', reason: 'invalid_number' },
  // TNZ accepts opted-out numbers and fails them later (sms-providers.md §1, quoting TNZ support).
  optedOut: 'accepted',
  // TNZ checks credit after acceptance; the recipient then shows CreditHold (SDK status enum, §5).
  insufficientFunds: 'accepted',
};

/** Receipts for these numbers fail whatever outcome is asked for: TNZ accepted them and fails them later. */
const FAILED_LATER: Record<string, { Status: string; Result: string }> = {
  [MAGIC.optedOut]: { Status: 'Failed', Result: 'Opted Out' },
  [MAGIC.insufficientFunds]: { Status: 'CreditHold', Result: 'Insufficient credit' },
  [MAGIC.failsByReceipt]: { Status: 'Failed', Result: 'Undeliverable' },
};

/**
 * TNZ's REST API v2.04 as sms-providers.md §5 describes it: `Authorization: Basic <Auth Token>` with the
 * token verbatim, a JSON body wrapped in `MessageData`, 200 `{"Result":"Success","MessageID"}` and
 * `{"Result":"Failed","ErrorMessage":[…]}` otherwise. HTTP statuses of failures are not documented [INF]:
 * 401 for the token, 500 for TNZ's own fault, 400 for the rest.
 */
export async function startTnzFake(): Promise<VendorFake & ReceiptSender> {
  const messages: (AcceptedMessage & { reference?: string })[] = [];
  const failed = (res: ServerResponse, status: number, error: string, headers = {}) =>
    json(res, status, { Result: 'Failed', ErrorMessage: [error] }, headers);

  const scenario = commonScenarios({
    rateLimited: (res, headers) => failed(res, 429, 'Too Many Requests', headers),
    serverError: (res) => failed(res, 500, 'Error occurred while creating job'),
  });

  const handle = (req: RecordedRequest, res: ServerResponse) => {
    if (req.method !== 'POST' || req.url !== '/api/v2.04/send/sms') return failed(res, 404, 'Not Found');
    if (req.headers.authorization !== `Basic ${AUTH_TOKEN}`) {
      return json(res, 401, { Result: 'Failed', ErrorMessage: ['Unauthorized'] });
    }
    // TNZ reads XML or JSON by Content-Type: anything else reads as a call without MessageData.
    let data: Record<string, unknown> | undefined;
    if (req.headers['content-type']?.startsWith('application/json')) {
      try {
        data = (JSON.parse(req.rawBody) as { MessageData?: Record<string, unknown> }).MessageData;
      } catch {
        data = undefined;
      }
    }
    if (!data || typeof data !== 'object') return failed(res, 400, 'Missing message data');
    const { Message, Destinations, MessageID, FromNumber, WebhookCallbackURL, WebhookCallbackFormat } = data;
    if (typeof Message !== 'string' || Message === '') return failed(res, 400, 'Missing or empty message');
    if (!Array.isArray(Destinations) || Destinations.length === 0) {
      return failed(res, 400, 'Missing or empty destinations');
    }
    const numbers = Destinations.map((d: { Recipient?: unknown; ToNumber?: unknown }) => d?.Recipient ?? d?.ToNumber);
    const valid = numbers.filter((n): n is string => typeof n === 'string' && /^\+[1-9]\d{6,14}$/.test(n));
    if (valid.length === 0) return failed(res, 400, 'Error - Could not find any valid destination(s).');
    if (MessageID !== undefined && (typeof MessageID !== 'string' || !/^[A-Za-z0-9]{1,40}$/.test(MessageID))) {
      return failed(res, 400, 'Invalid MessageID'); // the 40-alphanumeric rule is the SDK's; the text is ours [INF]
    }
    if (FromNumber !== undefined && FromNumber !== FROM) {
      return failed(res, 400, `Invalid FromNumber ${String(FromNumber)}`); // only the account's numbers [INF]
    }
    if (WebhookCallbackURL !== undefined && !String(WebhookCallbackURL).startsWith('https://')) {
      return failed(res, 400, 'WebhookCallbackURL must start with https://');
    }
    if (WebhookCallbackFormat !== undefined && WebhookCallbackFormat !== 'JSON' && WebhookCallbackFormat !== 'XML') {
      return failed(res, 400, 'Invalid WebhookCallbackFormat');
    }
    const to = valid[0] as string;
    if (to === MAGIC.invalidNumber) return failed(res, 400, 'Error - Could not find any valid destination(s).');
    if (scenario(to, res)) return;
    // TNZ echoes the client's MessageID, or makes a UUID.
    const id =
      typeof MessageID === 'string'
        ? MessageID
        : `00000000-0000-4000-8000-${String(messages.length).padStart(12, '0')}`;
    messages.push({
      id,
      to,
      text: Message,
      callbackUrl: typeof WebhookCallbackURL === 'string' ? WebhookCallbackURL : undefined,
      reference: typeof data.Reference === 'string' ? data.Reference : undefined,
    });
    json(res, 200, { Result: 'Success', MessageID: id, ErrorMessage: [] });
  };

  const fake = await startVendorFake({
    type: 'tnz',
    fields: { apiKey: AUTH_TOKEN, fromNumber: FROM },
    wrong: { apiKey: `${AUTH_TOKEN.slice(0, -4)}AAAA` },
    messages,
    outage: (res) => failed(res, 503, 'Service Unavailable'),
    handle,
  });
  return {
    ...fake,
    /**
     * The JSON webhook TNZ sends when processing ends. Its fields are not documented [INF]: these mirror
     * the status poll's recipient fields. It is unsigned, so `tamper` spoils the secret token in the URL.
     */
    async postReceipt(url, messageId, outcome, options = {}) {
      const message = messages.find((m) => m.id === messageId);
      const late = message ? FAILED_LATER[message.to] : undefined;
      const result =
        late ??
        (outcome === 'failed'
          ? { Status: 'Failed', Result: 'Undeliverable' }
          : { Status: 'Success', Result: 'Sent OK' });
      const payload = {
        Type: 'SMS',
        MessageID: messageId,
        JobNum: messageId.slice(0, 8).toUpperCase(),
        Reference: message?.reference ?? '',
        Destination: message?.to ?? '',
        DestSeq: 1,
        ...result,
        SentTimeUTC: new Date(options.timestampMs ?? Date.now()).toISOString(),
        RemoteID: '',
        Price: 0.2,
      };
      const target = options.tamper ? url.replace(/[^/]+$/, 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA') : url;
      return postTo(target, JSON.stringify(payload), { 'content-type': 'application/json; charset=utf-8' });
    },
  };
}

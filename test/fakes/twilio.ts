import type { ServerResponse } from 'node:http';
import { twilioSignature } from '../../src/modules/sms/providers/twilio.js';
import {
  type AcceptedMessage,
  basicAuth,
  commonScenarios,
  json,
  MAGIC,
  postTo,
  type ReceiptSender,
  type RecordedRequest,
  startVendorFake,
  type VendorFake,
} from './common.js';

/** Twilio's own magic "To" numbers for test credentials (sms-providers.md §2), answered the same way. */
export const TWILIO_TEST_NUMBERS: Record<string, [number, string]> = {
  '+15005550001': [21211, "The 'To' number +15005550001 is not a valid phone number."],
  '+15005550002': [21612, "The 'To' phone number is not currently reachable via SMS."],
  '+15005550003': [21408, 'Permission to send an SMS has not been enabled for the region indicated by the To number.'],
  '+15005550004': [21610, 'Attempt to send to unsubscribed recipient'],
  '+15005550009': [21614, "'To' number is not a valid mobile number"],
};

const ACCOUNT_SID = `AC${'a1'.repeat(16)}`;
const AUTH_TOKEN = 'f'.repeat(32);
const FROM = '+15017122661';

/**
 * Twilio's Messages API as sms-providers.md §2 describes it: the Account SID in the path and as the
 * Basic user, a form body with PascalCase fields, 201 with an `SM…` sid, and Twilio's error bodies.
 */
export async function startTwilioFake(): Promise<VendorFake & ReceiptSender> {
  const messages: AcceptedMessage[] = [];
  const error = (res: ServerResponse, status: number, code: number, message: string, headers = {}) =>
    json(res, status, { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, headers);

  const scenario = commonScenarios({
    rateLimited: (res, headers) => error(res, 429, 20429, 'Too Many Requests', headers),
    serverError: (res) => error(res, 500, 20500, 'An internal server error has occurred'),
  });

  const handle = (req: RecordedRequest, res: ServerResponse) => {
    const path = /^\/2010-04-01\/Accounts\/(AC[0-9a-f]{32})\/Messages\.json$/.exec(req.url);
    if (req.method !== 'POST' || !path) return error(res, 404, 20404, 'The requested resource was not found');
    const auth = basicAuth(req);
    if (!auth || auth.user !== path[1] || auth.password !== AUTH_TOKEN || path[1] !== ACCOUNT_SID) {
      return error(res, 401, 20003, 'Authenticate');
    }
    // Twilio reads only form bodies: a JSON body reads as an empty form.
    const form = req.headers['content-type']?.startsWith('application/x-www-form-urlencoded')
      ? new URLSearchParams(req.rawBody)
      : new URLSearchParams();
    const to = form.get('To');
    const from = form.get('From');
    const service = form.get('MessagingServiceSid');
    const body = form.get('Body');
    if (!to) return error(res, 400, 21604, "A 'To' phone number is required.");
    if (!/^\+[1-9]\d{6,14}$/.test(to))
      return error(res, 400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (!from && !service) return error(res, 400, 21603, "A 'From' phone number is required.");
    if (from && from !== FROM) {
      return error(
        res,
        400,
        21606,
        `The From phone number ${from} is not a valid, SMS-capable inbound phone number or short code for your account.`,
      );
    }
    if (!body) return error(res, 400, 21602, 'Message body is required.');
    if (body.length > 1600)
      return error(res, 400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
    const callback = form.get('StatusCallback');
    if (callback !== null && (!URL.canParse(callback) || new URL(callback).hostname.includes('_'))) {
      return error(res, 400, 21609, 'Invalid StatusCallback');
    }
    const validity = form.get('ValidityPeriod');
    if (validity !== null && !(Number(validity) >= 1 && Number(validity) <= 36_000)) {
      return error(res, 400, 21623, 'ValidityPeriod must be between 1 and 36000');
    }
    switch (to) {
      case MAGIC.invalidNumber:
        return error(res, 400, 21211, `The 'To' number ${to} is not a valid phone number.`);
      case MAGIC.optedOut:
        return error(res, 400, 21610, 'Attempt to send to unsubscribed recipient');
      case MAGIC.insufficientFunds:
        return error(res, 401, 20005, 'Account not active');
    }
    const own = TWILIO_TEST_NUMBERS[to];
    if (own) return error(res, 400, own[0], own[1]);
    if (scenario(to, res)) return;
    const sid = `SM${messages.length.toString(16).padStart(32, '0')}`;
    messages.push({ id: sid, to, text: body, callbackUrl: callback ?? undefined });
    json(res, 201, {
      sid,
      account_sid: ACCOUNT_SID,
      to,
      from: from ?? null,
      messaging_service_sid: service ?? null,
      body,
      status: service ? 'accepted' : 'queued',
      num_segments: '1',
      error_code: null,
      error_message: null,
      direction: 'outbound-api',
      api_version: '2010-04-01',
      date_created: new Date().toUTCString(),
      uri: `/2010-04-01/Accounts/${ACCOUNT_SID}/Messages/${sid}.json`,
    });
  };

  const fake = await startVendorFake({
    type: 'twilio',
    fields: { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, from: FROM },
    wrong: { authToken: '0'.repeat(32) },
    messages,
    outage: (res) => error(res, 503, 20503, 'Service Unavailable'),
    handle,
  });
  return {
    ...fake,
    async postReceipt(url, messageId, outcome, options = {}) {
      const message = messages.find((m) => m.id === messageId);
      const failed = outcome === 'failed' || message?.to === MAGIC.failsByReceipt;
      const params = new URLSearchParams({
        SmsSid: messageId,
        SmsStatus: failed ? 'undelivered' : 'delivered',
        MessageStatus: failed ? 'undelivered' : 'delivered',
        To: message?.to ?? '',
        MessageSid: messageId,
        AccountSid: ACCOUNT_SID,
        From: FROM,
        ApiVersion: '2010-04-01',
        ...(failed ? { ErrorCode: '30003' } : {}),
      });
      const signature = twilioSignature(options.tamper ? 'e'.repeat(32) : AUTH_TOKEN, url, params);
      return postTo(url, params.toString(), {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': signature,
        'i-twilio-idempotency-token': `${messageId}-${outcome}`,
      });
    },
  };
}

/** How Twilio answers the magic numbers that fail at once (see the conformance suite). */
export const expectations = {
  invalidNumber: { kind: 'number', reason: 'invalid_number' },
  optedOut: { kind: 'number', reason: 'opted_out' },
  insufficientFunds: { kind: 'route', reason: 'insufficient_funds' },
} as const;

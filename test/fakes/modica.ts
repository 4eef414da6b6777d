import type { ServerResponse } from 'node:http';
import {
  type AcceptedMessage,
  basicAuth,
  commonScenarios,
  type Expectations,
  json,
  MAGIC,
  type RecordedRequest,
  startVendorFake,
  type VendorFake,
} from './common.js';

const APPLICATION = 'sigil-test';
const PASSWORD = 'Zk3p9Qx7Lm2Vt8Rw';
const SOURCE = '2227';

/** What the conformance suite should expect for the magic numbers that differ between vendors. */
export const expectations: Expectations = {
  invalidNumber: { kind: 'number', reason: 'invalid_number' },
  // Modica documents no opt-out error: the gateway accepts and only a DLR (which Sigil does not read) tells.
  optedOut: 'accepted',
  // Modica bills on account, with no credit error; a suspended application is refused with 403 [INF].
  insufficientFunds: { kind: 'route', reason: 'auth_failed' },
};

/**
 * Modica's Mobile Gateway REST API v1 as sms-providers.md §6 describes it: Basic auth with the
 * application name and password, JSON `{destination, content, source|class, reference}`, 201 with a
 * bare array `[id]`. Its error codes are go-modica's; the envelope `{error, error_description}` is [INF].
 */
export async function startModicaFake(): Promise<VendorFake> {
  const messages: AcceptedMessage[] = [];
  let nextId = 1000;
  const error = (res: ServerResponse, status: number, code: string, description: string, headers = {}) =>
    json(res, status, { error: code, error_description: description }, headers);

  const scenario = commonScenarios({
    rateLimited: (res, headers) => error(res, 429, 'rate_limited', 'Too Many Requests', headers),
    serverError: (res) => error(res, 500, 'send_failed', 'Unknown error sending message'),
  });

  const handle = (req: RecordedRequest, res: ServerResponse) => {
    if (req.method !== 'POST' || req.url !== '/rest/gateway/messages') return error(res, 404, 'not_found', 'Not Found');
    const auth = basicAuth(req);
    if (!auth || auth.user !== APPLICATION || auth.password !== PASSWORD) {
      return error(res, 401, 'unauthorized', 'Invalid credentials', { 'www-authenticate': 'Basic realm="Modica"' });
    }
    let body: Record<string, unknown> | undefined;
    if (req.headers['content-type']?.startsWith('application/json')) {
      try {
        body = JSON.parse(req.rawBody) as Record<string, unknown>;
      } catch {
        body = undefined;
      }
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      return error(res, 400, 'invalid_json', 'The request body is not a JSON object');
    }
    const { destination, content, source, reference } = body;
    if (destination === undefined) return error(res, 400, 'missing_attrib', 'destination is required');
    if (content === undefined || content === '') return error(res, 400, 'missing_attrib', 'content is required');
    if (typeof destination !== 'string' || !/^\+\d{6,15}$/.test(destination)) {
      return error(res, 400, 'invalid_attrib', 'destination must be an international number');
    }
    if (typeof content !== 'string') return error(res, 400, 'invalid_attrib', 'content must be a string');
    if (source !== undefined && body.class !== undefined) {
      return error(res, 400, 'invalid_attrib', 'source and class cannot both be given');
    }
    if (source !== undefined && source !== SOURCE) {
      return error(res, 400, 'invalid_attrib', `source ${String(source)} is not available to this application`);
    }
    if (reference !== undefined && typeof reference !== 'string') {
      return error(res, 400, 'invalid_attrib', 'reference must be a string');
    }
    switch (destination) {
      case MAGIC.invalidNumber:
        return error(res, 400, 'invalid_attrib', 'destination is not a valid mobile number');
      case MAGIC.insufficientFunds:
        return error(res, 403, 'forbidden', 'Application is suspended');
    }
    if (scenario(destination, res)) return;
    // optedOut and failsByReceipt are accepted: Modica reports them only in DLRs.
    const id = nextId++;
    messages.push({ id: String(id), to: destination, text: content });
    json(res, 201, [id]);
  };

  return startVendorFake({
    type: 'modica',
    fields: { applicationName: APPLICATION, password: PASSWORD, source: SOURCE },
    wrong: { password: 'Wrong-Password-0000' },
    messages,
    outage: (res) => error(res, 503, 'service_unavailable', 'Service Unavailable'),
    handle,
  });
}

import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { guardedLookup, literalAddressRefusal, type NetworkPolicy } from '../../../lib/outbound-guard.js';
import { SmsSendError } from './provider.js';

export interface OutboundRequest {
  url: URL;
  method?: 'POST' | 'GET';
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal;
  policy: NetworkPolicy;
  /** Names the far end in error messages, e.g. "Twilio". */
  label: string;
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as text, cut at MAX_RESPONSE_BYTES: a vendor's answer is small, a hostile one need not be. */
  text: string;
}

const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * One HTTP request to an SMS vendor or webhook. Node's own http client rather than fetch, because the
 * connection must go through the SSRF-guarded DNS lookup: base URLs and webhook URLs are set by tenants.
 * Redirects are not followed. Timeouts come from the caller's AbortSignal. Transport failures become
 * retryable SmsSendErrors; HTTP statuses are the caller's to classify.
 */
export function outboundRequest(req: OutboundRequest): Promise<OutboundResponse> {
  const refused = literalAddressRefusal(req.url, req.policy);
  if (refused) return Promise.reject(new SmsSendError('route', 'address_refused', `${req.label} refused: ${refused}`));
  const send = req.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const r = send(
      req.url,
      {
        method: req.method ?? 'POST',
        lookup: guardedLookup(req.policy),
        signal: req.signal,
        headers: { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          if (size < MAX_RESPONSE_BYTES) chunks.push(chunk);
          size += chunk.length;
        });
        const done = () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8'),
          });
        res.on('end', done);
        res.on('error', (err) => reject(transportError(req, err)));
      },
    );
    r.on('error', (err: NodeJS.ErrnoException) => reject(transportError(req, err)));
    r.end(req.body);
  });
}

function transportError(req: OutboundRequest, err: NodeJS.ErrnoException): SmsSendError {
  if (req.signal.aborted) return new SmsSendError('retryable', 'timeout', `${req.label} did not answer in time`);
  if (err.code === 'ERR_SIGIL_REFUSED_ADDRESS') {
    return new SmsSendError('route', 'address_refused', `${req.label} refused: ${err.message}`);
  }
  return new SmsSendError('retryable', 'network', `${req.label} could not be reached (${err.code ?? err.message})`);
}

/** `Retry-After` as milliseconds from now: delta-seconds or an HTTP date. */
export function retryAfterMs(header: string | string[] | undefined, now: number): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * The default reading of an HTTP status for a failed send (sms-providers.md §1): 408/425/429/5xx are
 * transient; 401/403 mean the credentials are wrong; any other 4xx is a request this route cannot send.
 * Adapters refine it with the vendor's own error codes first.
 */
export function failureForStatus(res: OutboundResponse, label: string, now: number, detail = ''): SmsSendError {
  const suffix = detail ? `: ${detail}` : '';
  const { status } = res;
  if (status === 408 || status === 425 || status === 429 || status >= 500) {
    return new SmsSendError(
      'retryable',
      status === 429 ? 'rate_limited' : `http_${status}`,
      `${label} answered HTTP ${status}${suffix}`,
      retryAfterMs(res.headers['retry-after'], now),
    );
  }
  if (status === 401 || status === 403) {
    return new SmsSendError('route', 'auth_failed', `${label} refused the credentials (HTTP ${status})${suffix}`);
  }
  if (status >= 300 && status < 400) {
    return new SmsSendError(
      'route',
      'misconfigured',
      `${label} answered with a redirect (HTTP ${status}): check the base URL`,
    );
  }
  return new SmsSendError('route', 'bad_request', `${label} refused the request (HTTP ${status})${suffix}`);
}

/** The body as JSON, or undefined when it is not JSON. */
export function jsonOf(res: OutboundResponse): unknown {
  try {
    return JSON.parse(res.text);
  } catch {
    return undefined;
  }
}

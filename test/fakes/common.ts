import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * Destination numbers that make every vendor fake fail in a known way (sms-providers.md §8). They are
 * valid NZ mobile numbers, so Sigil's own number check lets them through to the vendor.
 */
export const MAGIC = {
  invalidNumber: '+64211000001',
  optedOut: '+64211000002',
  insufficientFunds: '+64211000003',
  /** 429 with `Retry-After: 1`, every time. */
  rateLimited: '+64211000004',
  /** 500, every time. */
  serverError: '+64211000005',
  /** Never answers; the client's timeout must end the request. */
  hang: '+64211000006',
  /** Accepted, then a failed delivery receipt. */
  failsByReceipt: '+64211000007',
  /** 429 with `Retry-After: 1` the first time, then accepted. */
  rateLimitedOnce: '+64211000008',
  /** 500 the first time, then accepted. */
  serverErrorOnce: '+64211000009',
} as const;

/** What a vendor does at once with the magic numbers whose handling differs between vendors. */
export type Expectations = Record<
  'invalidNumber' | 'optedOut' | 'insufficientFunds',
  { kind: 'retryable' | 'route' | 'number'; reason: string } | 'accepted'
>;

export interface RecordedRequest {
  method: string;
  /** Path and query. */
  url: string;
  headers: IncomingMessage['headers'];
  rawBody: string;
}

/** A message the fake accepted, as the vendor saw it. */
export interface AcceptedMessage {
  id: string;
  to: string;
  text: string;
  /** Where the vendor would post delivery receipts for it, when the request named a place. */
  callbackUrl?: string;
}

/** What every vendor fake offers to the conformance suite and the end-to-end tests. */
export interface VendorFake {
  type: string;
  /** The base URL to configure as the provider's `baseUrl`. */
  url: string;
  /** A valid Sigil provider config that points at this fake. */
  config(): Record<string, unknown>;
  /** The same config with a wrong secret: the fake answers as the vendor does to bad credentials. */
  wrongCredentials(): Record<string, unknown>;
  requests: RecordedRequest[];
  messages: AcceptedMessage[];
  /** While down, every request gets a 503 (an outage). */
  setDown(down: boolean): void;
  close(): Promise<void>;
}

/** Vendors that sign or send delivery receipts implement this too. */
export interface ReceiptSender {
  /**
   * Posts a delivery receipt for an accepted message to `url` (Sigil's receipt URL) exactly as the
   * vendor would, signed with the configured secret unless `tamper` is set. Returns Sigil's HTTP status.
   */
  postReceipt(
    url: string,
    messageId: string,
    outcome: 'delivered' | 'failed',
    options?: { tamper?: boolean; timestampMs?: number },
  ): Promise<number>;
}

export type Handler = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;

/**
 * A local HTTP server for a vendor fake: records each request with its raw body, and lets a handler
 * leave a request unanswered (the hang scenario) until the fake closes.
 */
export async function startFakeServer(handle: Handler): Promise<{
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '/',
        headers: req.headers,
        rawBody: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      Promise.resolve(handle(recorded, res)).catch((err: unknown) => {
        if (!res.headersSent) json(res, 500, { fakeError: String(err) });
      });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

/** The Basic credentials of a request, or undefined. */
export function basicAuth(req: RecordedRequest): { user: string; password: string } | undefined {
  const m = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? undefined : { user: decoded.slice(0, i), password: decoded.slice(i + 1) };
}

/** True the first time a key is seen: for the fail-once scenarios. */
export function firstTime(seen: Set<string>, key: string): boolean {
  if (seen.has(key)) return false;
  seen.add(key);
  return true;
}

export async function postTo(url: string, body: string, headers: Record<string, string>): Promise<number> {
  const res = await fetch(url, { method: 'POST', body, headers });
  await res.arrayBuffer();
  return res.status;
}

/**
 * Starts a vendor fake on a local server and wraps it as a VendorFake. While the fake is down, `outage`
 * answers every request (the vendor's own 503); otherwise `handle` does. The config is `type`, then
 * `fields`, then `baseUrl` pointing at the fake; `wrongCredentials()` is that config with `wrong` over it.
 */
export async function startVendorFake(vendor: {
  type: string;
  fields: Record<string, unknown>;
  wrong: Record<string, unknown>;
  messages: AcceptedMessage[];
  outage: (res: ServerResponse) => void;
  handle: Handler;
}): Promise<VendorFake> {
  let down = false;
  const server = await startFakeServer((req, res) => (down ? vendor.outage(res) : vendor.handle(req, res)));
  const config = { type: vendor.type, ...vendor.fields, baseUrl: server.url };
  return {
    type: vendor.type,
    url: server.url,
    config: () => ({ ...config }),
    wrongCredentials: () => ({ ...config, ...vendor.wrong }),
    requests: server.requests,
    messages: vendor.messages,
    setDown: (d) => {
      down = d;
    },
    close: server.close,
  };
}

/**
 * The magic numbers that every vendor fake answers alike but for its own error bodies: 429 with
 * `Retry-After: 1` and 500 (each every time, or the first time only), and no answer at all. Returns a
 * function that answers `to` when it is one of them, with the vendor's `answers`, and says whether it did
 * (a hang counts); the vendor handles any other number.
 */
export function commonScenarios(answers: {
  rateLimited(res: ServerResponse, headers: Record<string, string>): void;
  serverError(res: ServerResponse): void;
}): (to: string, res: ServerResponse) => boolean {
  const once = new Set<string>();
  const retryAfter = { 'retry-after': '1' };
  return (to, res) => {
    switch (to) {
      case MAGIC.rateLimitedOnce:
        if (!firstTime(once, to)) return false;
        answers.rateLimited(res, retryAfter);
        return true;
      case MAGIC.rateLimited:
        answers.rateLimited(res, retryAfter);
        return true;
      case MAGIC.serverErrorOnce:
        if (!firstTime(once, to)) return false;
        answers.serverError(res);
        return true;
      case MAGIC.serverError:
        answers.serverError(res);
        return true;
      case MAGIC.hang:
        return true; // never answers
      default:
        return false;
    }
  };
}

/** A stable UUID-shaped id derived from a string. */
export function uuidOf(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

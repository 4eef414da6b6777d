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

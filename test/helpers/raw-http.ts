import { Agent, type IncomingHttpHeaders, request } from 'node:http';
import { connect } from 'node:net';

/** A request as the fuzzer sends it: the path exactly as written, any method, any headers. */
export interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** The route it was generated for, for the fuzzer's statistics. */
  route?: string;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Node's client refused to send it (a character it will not put in a path or header): not the server's doing. */
export class Unsendable extends Error {}

export const keepAlive = () => new Agent({ keepAlive: true, maxSockets: 4 });

/** One request over node:http, which keeps the path as given (fetch would normalise it). */
export function send(base: URL, agent: Agent, req: RawRequest, timeoutMs = 15_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let r: ReturnType<typeof request>;
    try {
      r = request({
        host: base.hostname,
        port: base.port,
        method: req.method,
        path: req.path,
        // Framed by its length whatever the method: Node sends a DELETE's body unframed otherwise, and
        // the server reads it as the next request.
        headers:
          req.body === undefined
            ? req.headers
            : { ...req.headers, 'content-length': String(Buffer.byteLength(req.body)) },
        agent,
        timeout: timeoutMs,
      });
    } catch (err) {
      reject(new Unsendable(String(err)));
      return;
    }
    r.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    r.on('timeout', () => r.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    r.on('error', (err) => reject(err));
    try {
      r.end(req.body);
    } catch (err) {
      r.destroy();
      reject(new Unsendable(String(err)));
    }
  });
}

/** Bytes straight onto a socket, for requests no HTTP client would send; resolves with all that came back. */
export function sendBytes(base: URL, bytes: string | Buffer, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(Number(base.port), base.hostname, () => socket.write(bytes));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    socket.on('error', () => undefined);
  });
}

/** The status line, headers and body of a raw HTTP/1.1 answer. */
export function parseRawAnswer(text: string): { status: number; headers: Record<string, string>; body: string } {
  const [head = '', body = ''] = text.split('\r\n\r\n', 2);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body };
}

/**
 * What is wrong with an answer, if anything: any status of 500 or above, and any error answer with a
 * body that is not Sigil's `{error, errorCode, errorDescription}` (strings) as application/json.
 */
export function answerProblem(method: string, res: { status: number; contentType?: string; body: string }) {
  if (res.status >= 500) return `status ${res.status}: ${res.body.slice(0, 300)}`;
  if (res.status < 400 || method === 'HEAD' || res.body.length === 0) return undefined;
  if (!res.contentType?.startsWith('application/json')) return `error body as ${res.contentType ?? 'no type'}`;
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch {
    return `error body is not JSON: ${res.body.slice(0, 200)}`;
  }
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof b.error !== 'string' || typeof b.errorCode !== 'string' || typeof b.errorDescription !== 'string') {
    return `error body lacks error, errorCode or errorDescription: ${res.body.slice(0, 200)}`;
  }
  return undefined;
}

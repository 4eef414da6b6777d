import { Agent, type IncomingHttpHeaders, request } from 'node:http';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { expect } from 'vitest';

/**
 * Byte-for-byte replays of what Authsignal's SDKs put on the wire, for the SDKs that cannot run on
 * these machines (iOS, Android, React Native, Flutter, Python, Go, Ruby, PHP, Java, .NET).
 *
 * Requests go out through `node:http` `request()`, never `fetch`: fetch adds and normalises headers,
 * while a replay needs exact control of header names and their casing, of whether Content-Type is
 * there at all, of `Content-Length: 0` against no length, of `Transfer-Encoding: chunked`, and of the
 * body's bytes (pretty-printed JSON, escaped slashes and so on). Node adds only `Host` and
 * `Connection: keep-alive` (every SDK keeps connections alive), and nothing else.
 */

export type Header = [name: string, value: string];

export interface RawRequest {
  method: string;
  /** The request target as the SDK writes it: path and query, for example `/v1/users/u1?x=1`. */
  path: string;
  /**
   * Every header the SDK sends, in its order and casing. Framing is explicit: a request carries
   * `Content-Length` or `Transfer-Encoding` only when they are listed here (see `withLength`).
   */
  headers: Header[];
  body?: string | Buffer;
}

export interface Exchange {
  status: number;
  /** Response headers, lower-cased names. */
  headers: IncomingHttpHeaders;
  /** The response Content-Type exactly as sent, or undefined. */
  contentType: string | undefined;
  text: string;
  /** The body parsed as JSON when it parses; undefined otherwise. */
  // biome-ignore lint/suspicious/noExplicitAny: SDK responses have many shapes; tests read fields directly.
  json: any;
  /** The request as it went on the wire and the response, for assertion messages and failure reports. */
  transcript: string;
}

/** A connection pool to one server that replays raw requests. Close it before the server. */
export class Wire {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 4 });
  private readonly host: string;
  private readonly port: number;

  constructor(serverUrl: string) {
    const url = new URL(serverUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
  }

  async send(raw: RawRequest): Promise<Exchange> {
    const body = raw.body === undefined ? undefined : Buffer.from(raw.body);
    const framed = raw.headers.some(([name]) => /^(content-length|transfer-encoding)$/i.test(name));
    if (body && body.length > 0 && !framed)
      throw new Error('A replayed body needs Content-Length or Transfer-Encoding');
    return new Promise<Exchange>((resolve, reject) => {
      const req = request({ host: this.host, port: this.port, method: raw.method, path: raw.path, agent: this.agent });
      for (const [name, value] of raw.headers) req.setHeader(name, value);
      if (!framed) {
        // Removing both is how node:http is told to frame nothing: no Content-Length: 0, no chunking.
        req.removeHeader('Content-Length');
        req.removeHeader('Transfer-Encoding');
      }
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = decode(Buffer.concat(chunks), res.headers['content-encoding']).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          const sent = (req as unknown as { _header?: string })._header ?? '';
          const requestText = `${sent}${body ? body.toString('utf8') : ''}`;
          const responseHead = [`HTTP/1.1 ${res.statusCode} ${res.statusMessage}`];
          for (let i = 0; i < res.rawHeaders.length; i += 2) {
            responseHead.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            contentType: res.headers['content-type'],
            text,
            json,
            transcript: `\n--- request\n${requestText}\n--- response\n${responseHead.join('\r\n')}\r\n\r\n${text}\n---`,
          });
        });
      });
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

function decode(body: Buffer, encoding: string | undefined): Buffer {
  switch (encoding) {
    case 'gzip':
      return gunzipSync(body);
    case 'deflate':
      return inflateSync(body);
    case 'br':
      return brotliDecompressSync(body);
    default:
      return body;
  }
}

/** The headers plus `Content-Length` of the body, as clients that know the length send it. */
export function withLength(headers: Header[], body: string | Buffer = ''): Header[] {
  return [...headers, ['Content-Length', String(Buffer.byteLength(body))]];
}

// ---------------------------------------------------------------------------------------------
// Authorization forms

/** Server and Management API: `Basic base64("<secret>:")`, as every server SDK sends it. */
export const basicKey = (secret: string) => `Basic ${Buffer.from(`${secret}:`).toString('base64')}`;
/** iOS tenant form: base64url of `"<tenantId>:"`, unpadded. */
export const basicIos = (tenantId: string) => `Basic ${Buffer.from(`${tenantId}:`).toString('base64url')}`;
/** Android tenant form: standard base64 of `"<tenantId>:"`, padded. */
export const basicAndroid = (tenantId: string) => `Basic ${Buffer.from(`${tenantId}:`).toString('base64')}`;
/** Browser tenant form: base64 of the URI-encoded tenant ID, with no colon. */
export const basicBrowser = (tenantId: string) =>
  `Basic ${Buffer.from(encodeURIComponent(tenantId)).toString('base64')}`;

// ---------------------------------------------------------------------------------------------
// JSON as each SDK's serialiser writes it

interface JsonStyle {
  /** Between members and items: `,` (compact) or `, ` (Python's json.dumps). */
  comma: string;
  /** Between a key and its value: `:` or `: `. */
  colon: string;
  /** Pretty-printing indent (kotlinx `prettyPrint = true` uses 4 spaces), or 0 for one line. */
  indent: number;
  /** Characters the serialiser writes as `\uXXXX` beyond what JSON requires. */
  escape?: RegExp;
  upperHex?: boolean;
  /** Escapes `/` as `\/` (PHP's json_encode). */
  slash?: boolean;
}

function quote(s: string, style: JsonStyle): string {
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0) ?? 0;
    if (style.escape?.test(ch)) {
      // One \uXXXX per UTF-16 unit: an astral character becomes its surrogate pair.
      for (let i = 0; i < ch.length; i++) {
        const hex = ch.charCodeAt(i).toString(16).padStart(4, '0');
        out += `\\u${style.upperHex ? hex.toUpperCase() : hex}`;
      }
    } else if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '/' && style.slash) out += '\\/';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function serialise(value: unknown, style: JsonStyle, depth = 0): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return quote(value, style);
  if (typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  const pad = style.indent ? `\n${' '.repeat(style.indent * (depth + 1))}` : '';
  const end = style.indent ? `\n${' '.repeat(style.indent * depth)}` : '';
  const comma = style.indent ? ',' : style.comma;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[${value.map((v) => pad + serialise(v, style, depth + 1)).join(comma)}${end}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return '{}';
  const colon = style.indent ? ': ' : style.colon;
  return `{${entries.map(([k, v]) => `${pad}${quote(k, style)}${colon}${serialise(v, style, depth + 1)}`).join(comma)}${end}}`;
}

export const json = {
  /** JSONEncoder (iOS), JSON.stringify (browser, node), Ruby's to_json: one line, nothing extra escaped. */
  compact: (v: unknown) => serialise(v, { comma: ',', colon: ':', indent: 0 }),
  /** kotlinx.serialization with `prettyPrint = true` (Android): 4-space indent, `": "`. */
  pretty: (v: unknown) => serialise(v, { comma: ',', colon: ':', indent: 4 }),
  /** Python's json.dumps defaults: `", "` and `": "`, non-ASCII as \uXXXX. */
  python: (v: unknown) => serialise(v, { comma: ', ', colon: ': ', indent: 0, escape: /[\u0080-\uffff]/ }),
  /** Go's encoding/json: HTML-safe, so `<`, `>`, `&` (and U+2028/9) become \u003c and so on. */
  go: (v: unknown) => serialise(v, { comma: ',', colon: ':', indent: 0, escape: /[<>&\u2028\u2029]/ }),
  /** PHP's json_encode defaults: `\/` for every slash, non-ASCII as \uXXXX. */
  php: (v: unknown) => serialise(v, { comma: ',', colon: ':', indent: 0, slash: true, escape: /[\u0080-\uffff]/ }),
  /** Gson defaults (Java): HTML-safe, so `<`, `>`, `&`, `=` and `'` become \u003c and so on. */
  gson: (v: unknown) => serialise(v, { comma: ',', colon: ':', indent: 0, escape: /[<>&=']/ }),
  /**
   * System.Text.Json's default encoder (.NET): escapes HTML-sensitive characters, `+` and every
   * non-ASCII character, upper-case hex, so a phone number goes out as `"\u002B64…"`.
   */
  dotnet: (v: unknown) =>
    serialise(v, { comma: ',', colon: ':', indent: 0, escape: /[<>&'"+`]|[^ -~]/, upperHex: true }),
};

// ---------------------------------------------------------------------------------------------
// What the SDKs decode

/** Content-Type exactly `application/json`: Python decodes only that, Ktor negotiates on it. */
export function expectJsonType(res: Exchange): void {
  expect(res.contentType, res.transcript).toBe('application/json');
}

/** A success as iOS and Android decode it: status exactly 200, JSON without charset, parsed body. */
export function expectOk(res: Exchange): void {
  expect(res.status, res.transcript).toBe(200);
  expectJsonType(res);
  expect(res.json, res.transcript).toBeTypeOf('object');
}

/**
 * An error every SDK can decode: `error` (node, Ruby, Java, .NET and the Android SDK require it; the
 * browser needs the key present), `errorCode` (Go, Python, PHP, iOS), `errorDescription` (all).
 */
export function expectError(res: Exchange, status: number, code: string): void {
  expect(res.status, res.transcript).toBe(status);
  expectJsonType(res);
  expect(res.json, res.transcript).toEqual({
    error: code,
    errorCode: code,
    errorDescription: expect.any(String),
  });
  expect(res.json.errorDescription.length, res.transcript).toBeGreaterThan(0);
}

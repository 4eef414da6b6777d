import { basicKey, type Exchange, type Header, json, type Wire } from './replay.js';

/**
 * The server SDKs other than node, as they put requests on the wire: headers (names, casing, which
 * ones on which method), framing (Content-Length on a GET, none on a DELETE, …) and the JSON their
 * serialiser writes. Sources: each SDK's HTTP client code, and the loopback captures of the
 * conformance run described in docs/compatibility.md.
 */
export interface ServerSdk {
  label: string;
  /** Every header of a request with this method and body (undefined: no body), framing included. */
  headers(secret: string, method: string, body: string | undefined): Header[];
  json(value: unknown): string;
}

const length = (body: string | undefined): Header[] => [['Content-Length', String(Buffer.byteLength(body ?? ''))]];
const hasBodyMethod = (method: string) => method === 'POST' || method === 'PATCH' || method === 'PUT';

/**
 * authsignalgo v2.2.0, net/http: the same three default headers on every method (Content-Type even on
 * GET and DELETE), `Content-Length` only where a body is allowed (net/http writes `Content-Length: 0`
 * for a POST without body, none for GET or DELETE), `Accept-Encoding: gzip` from the transport.
 * Header order as net/http writes it: User-Agent, Content-Length, then the rest sorted.
 */
export const go: ServerSdk = {
  label: 'Go (authsignalgo v2.2.0)',
  headers: (secret, method, body) => [
    ['User-Agent', 'authsignalgo/v1'],
    ...(hasBodyMethod(method) ? length(body) : []),
    ['Accept', '*/*'],
    ['Authorization', basicKey(secret)],
    ['Content-Type', 'application/json'],
    ['Accept-Encoding', 'gzip'],
  ],
  json: json.go,
};

/**
 * authsignal-python 4.3.0, requests: session headers on every method (Content-Type on GET and DELETE
 * too), `Content-Length` on bodies and `Content-Length: 0` on a DELETE without one, none on a GET.
 * The version headers say 4.2.0 (the package forgot to bump them).
 */
export const python: ServerSdk = {
  label: 'Python (authsignal 4.3.0)',
  headers: (secret, method, body) => [
    ['User-Agent', 'authsignal-python-sdk/4.2.0'],
    ['Accept-Encoding', 'gzip, deflate'],
    ['Accept', '*/*'],
    ['Connection', 'keep-alive'],
    ['Content-Type', 'application/json'],
    ['X-Authsignal-Version', '4.2.0'],
    ...(method === 'GET' ? [] : length(body)),
    ['Authorization', basicKey(secret)],
  ],
  json: json.python,
};

/**
 * authsignal-ruby 5.2.1, Faraday 2 with net_http: the connection's headers on every method, JSON
 * written by to_json (keys camelCased by the SDK's middleware), `Content-Length` only with a body.
 */
export const ruby: ServerSdk = {
  label: 'Ruby (authsignal-ruby 5.2.1)',
  headers: (secret, _method, body) => [
    ['Authorization', basicKey(secret)],
    ['Accept', 'application/json'],
    ['Content-Type', 'application/json'],
    ['User-Agent', 'authsignal-ruby'],
    ['X-Authsignal-Version', '5.2.1'],
    ['Accept-Encoding', 'gzip;q=1.0,deflate;q=0.6,identity;q=0.3'],
    ...(body === undefined ? [] : length(body)),
  ],
  json: json.compact,
};

/**
 * authsignal-php 4.5.0, curl: `Content-Type: application/json` and an explicit `Content-Length` on
 * every request, `Content-Length: 0` when the payload is empty (a GET, a DELETE, or a track without
 * attributes, which goes out as an empty POST). json_encode escapes every `/` as `\/`.
 */
export const php: ServerSdk = {
  label: 'PHP (authsignal-php 4.5.0)',
  headers: (secret, _method, body) => [
    ['Authorization', basicKey(secret)],
    ['Accept', '*/*'],
    ['Content-Type', 'application/json'],
    ...length(body),
  ],
  json: json.php,
};

/**
 * authsignal-java 2.10.1, java.net.http on JDK 17 over HTTP/1.1: `User-Agent: authsignal-java` on GET
 * only (POST, PATCH and DELETE carry the JDK's own), Content-Type only on bodies, and the JDK 17 habit
 * of `Content-Length: 0` on a GET and a DELETE. Gson writes `=`, `&`, `<`, `>` and `'` as \u00XX.
 */
export const java: ServerSdk = {
  label: 'Java (authsignal-java 2.10.1)',
  headers: (secret, method, body) => [
    ...length(body),
    ['Authorization', basicKey(secret)],
    ...(body === undefined ? [] : ([['Content-Type', 'application/json']] as Header[])),
    ['X-Authsignal-Version', '2.10.1'],
    ['User-Agent', method === 'GET' ? 'authsignal-java' : 'Java-http-client/17.0.13'],
  ],
  json: json.gson,
};

/**
 * authsignal-dotnet (Authsignal.Server.Client), HttpClient: only the Basic header by default;
 * StringContent labels bodies `application/json; charset=utf-8`. System.Text.Json leaves nulls out
 * and escapes `+`, so phone numbers go out as `"\u002B64…"`.
 */
export const dotnet: ServerSdk = {
  label: '.NET (authsignal-dotnet)',
  headers: (secret, _method, body) => [
    ['Authorization', basicKey(secret)],
    ...(body === undefined ? [] : ([['Content-Type', 'application/json; charset=utf-8'], ...length(body)] as Header[])),
  ],
  json: json.dotnet,
};

/** A body given as the exact text to send, instead of a value for the SDK's serialiser. */
export interface RawBody {
  raw: string;
}

/** Requests of one server SDK to the Server API under `/v1`. */
export class ServerClient {
  constructor(
    private readonly wire: Wire,
    private readonly sdk: ServerSdk,
    private readonly secret: string,
  ) {}

  /** `path` is after `/v1`, as the SDK appends it to apiUrl; `body` is serialised as this SDK does. */
  call(method: string, path: string, body?: unknown | RawBody): Promise<Exchange> {
    const text =
      body === undefined
        ? undefined
        : typeof body === 'object' && body !== null && 'raw' in body
          ? (body as RawBody).raw
          : this.sdk.json(body);
    return this.wire.send({
      method,
      path: `/v1${path}`,
      headers: this.sdk.headers(this.secret, method, text),
      body: text,
    });
  }

  /** The same SDK with another key (a wrong one, the management key). */
  withKey(secret: string): ServerClient {
    return new ServerClient(this.wire, this.sdk, secret);
  }
}

import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAndroid, basicBrowser, basicIos, json, Wire } from './replay.js';

/**
 * The replay helper itself: what it puts on the wire, captured by a plain TCP server, so that the
 * SDK replays in this folder are known to be byte for byte what they claim.
 */
describe('replay helper', () => {
  let server: Server;
  let wire: Wire;
  const captured: string[] = [];
  beforeAll(async () => {
    server = createServer((socket) => {
      let buffer = '';
      socket.on('data', (data) => {
        buffer += data.toString('latin1');
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.slice(0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        const chunked = /\r\ntransfer-encoding: *chunked/i.test(head);
        const rest = buffer.slice(end + 4);
        if (chunked ? !rest.endsWith('0\r\n\r\n') : rest.length < length) return;
        captured.push(buffer);
        buffer = '';
        socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const { port } = server.address() as { port: number };
    wire = new Wire(`http://127.0.0.1:${port}`);
  });
  afterAll(async () => {
    wire.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const host = () => `127.0.0.1:${(server.address() as { port: number }).port}`;

  it('sends a POST without Content-Type and without any length when none is listed (iOS)', async () => {
    const res = await wire.send({ method: 'POST', path: '/v1/x', headers: [['Authorization', 'Bearer t']] });
    expect(res.json).toEqual({ ok: true });
    expect(captured.at(-1)).toBe(
      `POST /v1/x HTTP/1.1\r\nHost: ${host()}\r\nAuthorization: Bearer t\r\nConnection: keep-alive\r\n\r\n`,
    );
  });

  it('keeps header names as written and sends exactly the listed framing (Android, JDK casing)', async () => {
    await wire.send({
      method: 'POST',
      path: '/v1/x',
      headers: [
        ['Content-type', 'application/x-www-form-urlencoded'],
        ['Content-Length', '0'],
      ],
    });
    expect(captured.at(-1)).toBe(
      `POST /v1/x HTTP/1.1\r\nHost: ${host()}\r\nContent-type: application/x-www-form-urlencoded\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n`,
    );
  });

  it('sends chunked framing only when asked, and the body bytes as given', async () => {
    await wire.send({ method: 'POST', path: '/v1/x', headers: [['Transfer-Encoding', 'chunked']] });
    expect(captured.at(-1)).toBe(
      `POST /v1/x HTTP/1.1\r\nHost: ${host()}\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n0\r\n\r\n`,
    );
    const body = json.pretty({ phoneNumber: '+6421000000' });
    await wire.send({ method: 'POST', path: '/v1/y', headers: [['Content-Length', String(body.length)]], body });
    expect(captured.at(-1)?.endsWith(`\r\n\r\n{\n    "phoneNumber": "+6421000000"\n}`)).toBe(true);
  });

  it('sends a GET with Content-Length: 0 when listed (JDK 17) and without a length otherwise', async () => {
    await wire.send({ method: 'GET', path: '/v1/g', headers: [['Content-Length', '0']] });
    expect(captured.at(-1)).toBe(
      `GET /v1/g HTTP/1.1\r\nHost: ${host()}\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n`,
    );
    await wire.send({ method: 'GET', path: '/v1/g', headers: [] });
    expect(captured.at(-1)).toBe(`GET /v1/g HTTP/1.1\r\nHost: ${host()}\r\nConnection: keep-alive\r\n\r\n`);
  });

  it('refuses a body without framing rather than sending something no client sends', async () => {
    await expect(wire.send({ method: 'POST', path: '/v1/x', headers: [], body: '{}' })).rejects.toThrow(
      /Content-Length/,
    );
  });

  it('writes JSON as each serialiser does', () => {
    const value = { url: 'https://a.example/b?c=d&e=<f>', phone: '+6421000000', name: "O'Neil é", n: 1, ok: null };
    expect(json.compact(value)).toBe(
      '{"url":"https://a.example/b?c=d&e=<f>","phone":"+6421000000","name":"O\'Neil é","n":1,"ok":null}',
    );
    expect(json.pretty({ a: 1, b: { c: [1, 2] }, d: {} })).toBe(
      '{\n    "a": 1,\n    "b": {\n        "c": [\n            1,\n            2\n        ]\n    },\n    "d": {}\n}',
    );
    expect(json.python(value)).toBe(
      '{"url": "https://a.example/b?c=d&e=<f>", "phone": "+6421000000", "name": "O\'Neil \\u00e9", "n": 1, "ok": null}',
    );
    expect(json.go(value)).toBe(
      '{"url":"https://a.example/b?c=d\\u0026e=\\u003cf\\u003e","phone":"+6421000000","name":"O\'Neil é","n":1,"ok":null}',
    );
    expect(json.php(value)).toBe(
      '{"url":"https:\\/\\/a.example\\/b?c=d&e=<f>","phone":"+6421000000","name":"O\'Neil \\u00e9","n":1,"ok":null}',
    );
    expect(json.gson(value)).toBe(
      '{"url":"https://a.example/b?c\\u003dd\\u0026e\\u003d\\u003cf\\u003e","phone":"+6421000000","name":"O\\u0027Neil é","n":1,"ok":null}',
    );
    expect(json.dotnet(value)).toBe(
      '{"url":"https://a.example/b?c=d\\u0026e=\\u003Cf\\u003E","phone":"\\u002B6421000000","name":"O\\u0027Neil \\u00E9","n":1,"ok":null}',
    );
    // Every form is the same value to a JSON parser.
    for (const write of Object.values(json)) expect(JSON.parse(write(value))).toEqual(value);
  });

  it('encodes the three Basic tenant forms', () => {
    const tenantId = '15aafc3b-ae7a-4387-bbed-cfbd7704064a';
    expect(basicIos(tenantId)).toBe(`Basic ${Buffer.from(`${tenantId}:`).toString('base64').replace(/=+$/, '')}`);
    expect(basicIos(tenantId)).not.toContain('=');
    expect(basicAndroid(tenantId)).toMatch(/==$/);
    expect(Buffer.from(basicAndroid(tenantId).slice(6), 'base64').toString()).toBe(`${tenantId}:`);
    expect(Buffer.from(basicBrowser(tenantId).slice(6), 'base64').toString()).toBe(tenantId);
  });
});

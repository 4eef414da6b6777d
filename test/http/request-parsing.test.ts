import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

/** The JSON parser's rules (src/http/json.ts), on routes of every kind. */
describe.each(databases)('request bodies (%s)', (db) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(db);
  });
  afterAll(() => t.close());

  const track = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    t.fetch('/users/parse-user/actions/signIn', { method: 'POST', body, headers });

  it('reads a body of null as an absent body, as older Go SDKs send a track without attributes', async () => {
    const res = await track('null');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ state: 'ALLOW' });
  });

  it('drops null members before validation, at every depth, and keeps array elements', async () => {
    const res = await track(JSON.stringify({ redirectToSettings: null, custom: { tier: null, plan: 'gold' } }));
    expect(res.status).toBe(200);
    const { idempotencyKey } = (await res.json()) as { idempotencyKey: string };
    const action = await t.fetch(`/users/parse-user/actions/signIn/${idempotencyKey}`);
    expect(((await action.json()) as { attributes: unknown }).attributes).toEqual({ custom: { plan: 'gold' } });
  });

  it('keeps null where it clears a value: updateUser with email null removes the email', async () => {
    await t.sdk.updateUser({ userId: 'clear-user', attributes: { email: 'a@example.com' } });
    const res = await t.fetch('/users/clear-user', { method: 'PATCH', body: JSON.stringify({ email: null }) });
    expect(res.status).toBe(200);
    expect(await t.sdk.getUser({ userId: 'clear-user' })).not.toHaveProperty('email');
  });

  it('drops null for members that nothing clears: a null flag leaves the flag as it was', async () => {
    await t.sdk.updateUser({ userId: 'flag-user', attributes: { email: 'f@example.com', emailVerified: true } });
    const body = JSON.stringify({ emailVerified: null, phoneNumberVerified: null, displayName: 'F' });
    const res = await t.fetch('/users/flag-user', { method: 'PATCH', body });
    expect(res.status).toBe(200);
    expect(await t.sdk.getUser({ userId: 'flag-user' })).toMatchObject({ emailVerified: true, displayName: 'F' });
  });

  it('refuses a body nested deeper than 32 with a 400, before parsing it', async () => {
    const deep = `{"custom":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const res = await track(deep);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_request', errorCode: 'invalid_request' });
    const shallow = `{"custom":{"a":1},"x":${'['.repeat(20)}${']'.repeat(20)}}`;
    expect((await track(shallow)).status).toBe(200);
  });

  it('reads an empty body of any type as {}, and refuses a non-empty body that is not JSON with a 415', async () => {
    expect((await track('', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(200);
    expect((await track('', { 'content-type': 'text/plain' })).status).toBe(200);
    const form = await track('a=1', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    expect(await form.json()).toMatchObject({ errorCode: 'unsupported_media_type' });
  });

  it('checks the key of an unknown path before its body: 401, not a 400 or 415 that tells it is unknown', async () => {
    for (const [type, body] of [
      ['application/json', '{'],
      ['text/plain', 'x'],
    ] as const) {
      for (const path of ['/v1/nope', '/v1/management/nope', '/v1/%6danagement/nope']) {
        const res = await fetch(`${t.server.url}${path}`, {
          method: 'POST',
          body,
          headers: { 'content-type': type, authorization: `Basic ${Buffer.from('bad:').toString('base64')}` },
        });
        expect(res.status, `${path} ${type}`).toBe(401);
        expect(await res.json()).toMatchObject({ errorCode: 'unauthorized' });
      }
    }
    const known = await t.fetch('/nope', { method: 'POST', body: '{}' });
    expect(known.status).toBe(404);
  });

  it('answers invalid JSON with a 400 that says so', async () => {
    const res = await track('{"redirectUrl":');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ errorDescription: 'The request body is not valid JSON.' });
  });
});

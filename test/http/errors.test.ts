import { Authsignal, AuthsignalError } from '@authsignal/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases } from '../helpers/databases.js';
import { phone, startTestServer, type TestServer } from '../helpers/server.js';

const expectErrorBody = async (res: Response, status: number, code: string) => {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/json');
  const body = await res.json();
  expect(body).toMatchObject({ error: code, errorCode: code });
  expect(typeof body.errorDescription).toBe('string');
  return body as { errorDescription: string };
};

describe.each(databases)('clear errors for bad input ($name)', (db) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(db, { SIGIL_BODY_LIMIT_BYTES: '4096' });
  });
  afterAll(() => t.close());

  it('answers a bad key with 401 unauthorized, surfaced by the SDK as AuthsignalError', async () => {
    const wrong = new Authsignal({ apiSecretKey: 'sk_wrong', apiUrl: t.apiUrl, retries: 0 });
    const err = await wrong.getUser({ userId: 'u' }).catch((e) => e);
    expect(err).toBeInstanceOf(AuthsignalError);
    expect(err).toMatchObject({
      statusCode: 401,
      errorCode: 'unauthorized',
      errorDescription:
        'The request is unauthorized. Check that your API key and region base URL are correctly configured.',
    });
    await expectErrorBody(await fetch(`${t.apiUrl}/users/u`), 401, 'unauthorized');
    await expectErrorBody(await t.fetch('/users/u', { key: t.tenant.managementSecretKey }), 401, 'unauthorized');
  });

  it('refuses an invalid phone number with 400 invalid_request that says why', async () => {
    const err = await t.sdk
      .challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: 'not a number' })
      .catch((e) => e);
    expect(err).toMatchObject({ statusCode: 400, errorCode: 'invalid_request' });
    expect(err.errorDescription).toMatch(/phoneNumber is not a valid phone number/);
    const tooShort = await t.sdk
      .challenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: '+6421' })
      .catch((e) => e);
    expect(tooShort).toMatchObject({ statusCode: 400, errorCode: 'invalid_request' });
  });

  it('refuses unsupported methods, bad action codes and unknown scopes', async () => {
    for (const req of [
      { verificationMethod: 'EMAIL_OTP', action: 'signIn', email: 'a@b.c' },
      { verificationMethod: 'SMS', action: 'bad action!', phoneNumber: phone() },
      { verificationMethod: 'SMS', phoneNumber: phone() },
      { verificationMethod: 'SMS', action: 'x', phoneNumber: phone(), userId: 'u', scope: 'root:everything' },
    ]) {
      await expect(t.sdk.challenge(req as never)).rejects.toMatchObject({
        statusCode: 400,
        errorCode: 'invalid_request',
      });
    }
  });

  it('answers malformed JSON, wrong types and missing fields with 400', async () => {
    await expectErrorBody(
      await t.fetch('/verify', { method: 'POST', body: '{"challengeId": ' }),
      400,
      'invalid_request',
    );
    const wrongType = await expectErrorBody(
      await t.fetch('/verify', {
        method: 'POST',
        body: JSON.stringify({ challengeId: 42, verificationCode: '123456' }),
      }),
      400,
      'invalid_request',
    );
    expect(wrongType.errorDescription).toMatch(/challengeId/);
    await expectErrorBody(
      await t.fetch('/challenge', { method: 'POST', body: JSON.stringify({ phoneNumber: true, action: 'x' }) }),
      400,
      'invalid_request',
    );
    await expectErrorBody(
      await t.fetch('/claim', { method: 'POST', body: JSON.stringify({}) }),
      400,
      'invalid_request',
    );
    await expectErrorBody(await t.fetch('/verify', { method: 'POST', body: '[1,2,3]' }), 400, 'invalid_request');
    await expectErrorBody(await t.fetch('/verify', { method: 'POST', body: 'null' }), 400, 'invalid_request');
    await expectErrorBody(
      await t.fetch('/users/u1', { method: 'PATCH', body: JSON.stringify({ custom: { nested: { deep: 1 } } }) }),
      400,
      'invalid_request',
    );
  });

  it('refuses prototype-poisoning bodies', async () => {
    await expectErrorBody(
      await t.fetch('/users/u1', { method: 'PATCH', body: '{"__proto__": {"admin": true}}' }),
      400,
      'invalid_request',
    );
  });

  it('answers an oversized body with 413 and a non-JSON body with 415', async () => {
    const big = JSON.stringify({ challengeId: 'x', verificationCode: 'y'.repeat(10_000) });
    await expectErrorBody(await t.fetch('/verify', { method: 'POST', body: big }), 413, 'payload_too_large');
    await expectErrorBody(
      await t.fetch('/verify', { method: 'POST', body: 'a=b', headers: { 'content-type': 'text/plain' } }),
      415,
      'unsupported_media_type',
    );
  });

  it('answers unknown IDs and routes with 404 not_found', async () => {
    await expect(t.sdk.verify({ challengeId: 'nope', verificationCode: '123456' })).rejects.toMatchObject({
      statusCode: 404,
      errorCode: 'not_found',
    });
    await expect(t.sdk.getChallenge({ challengeId: 'nope' })).rejects.toMatchObject({ statusCode: 404 });
    await expect(t.sdk.claimChallenge({ challengeId: 'nope', userId: 'u' })).rejects.toMatchObject({ statusCode: 404 });
    await expectErrorBody(await t.fetch('/no/such/route'), 404, 'not_found');
  });

  it('answers validateChallenge with a garbage token as isValid:false', async () => {
    for (const token of ['garbage', 'a.b.c', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1In0.']) {
      const result = await t.sdk.validateChallenge({ token });
      expect(result.isValid).toBe(false);
    }
  });

  it('tolerates a trailing slash in apiUrl (//users) and percent-encoded user IDs', async () => {
    const slashed = new Authsignal({ apiSecretKey: t.tenant.apiSecretKey, apiUrl: `${t.apiUrl}/`, retries: 0 });
    await slashed.updateUser({ userId: 'u 1', attributes: { displayName: 'Spaced' } });
    expect(await t.sdk.getUser({ userId: 'u 1' })).toMatchObject({ displayName: 'Spaced' });
  });

  it('keeps serving after a burst of hostile requests', async () => {
    const hostile = [
      t.fetch('/verify', { method: 'POST', body: '{'.repeat(2000) }),
      t.fetch('/challenge', {
        method: 'POST',
        body: JSON.stringify({ action: 'x', phoneNumber: '+'.padEnd(60, '9') }),
      }),
      t.fetch(`/users/${'x'.repeat(600)}`),
      t.fetch('/users?limit=99999'),
      t.fetch('/users?limit=-1'),
      fetch(`${t.apiUrl}/users/u`, { headers: { authorization: 'Basic !!!' } }),
      fetch(`${t.apiUrl}/users/u`, { headers: { authorization: `Basic ${'A'.repeat(5000)}` } }),
    ];
    for (const res of await Promise.all(hostile)) {
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(await res.json()).toHaveProperty('errorDescription');
    }
    expect((await fetch(`${t.server.url}/healthz`)).status).toBe(200);
    expect((await t.sdk.getUser({ userId: 'still-here' })).isEnrolled).toBe(false);
  });
});

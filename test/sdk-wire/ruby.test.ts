import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UNAUTHORIZED_DESCRIPTION } from '../../src/errors.js';
import { databases } from '../helpers/databases.js';
import { phone } from '../helpers/server.js';
import { expectError, expectOk } from './replay.js';
import { ruby } from './server-sdks.js';
import { useServerSdk } from './server-suite.js';

/**
 * authsignal-ruby 5.2.1 (`Authsignal::Client`, Faraday 2 with net_http): `update_user` is a POST,
 * not a PATCH; every request carries the connection's `Content-Type: application/json`, GET and
 * DELETE included; the SDK's JsonRequest middleware camelCases top-level keys only (so `custom` keys
 * stay as written) and `compact` drops nil members. The challenge, verify, claim and get_challenge
 * calls exist only on the unmerged `add-challenge-methods` branch; they are replayed as that branch
 * sends them, including get_challenge's snake_case query key.
 */
describe.each(databases)('Ruby SDK (authsignal-ruby 5.2.1) over the wire ($name)', (db) => {
  const s = useServerSdk(db, ruby, 'rbChallenge');

  it('user tests: enroll +6427000000, update_user (POST) to +6427123456 and more, get_user reads it back', async () => {
    const userId = `rb-user-6b-${randomUUID()}`;
    const enrolled = await s.sdk.call('POST', `/users/${userId}/authenticators`, {
      verificationMethod: 'SMS',
      phoneNumber: '+6427000000',
    });
    expectOk(enrolled);

    const attributes = {
      email: 'test@example.com',
      phoneNumber: '+6427123456',
      username: 'test@example.com',
      displayName: 'Test User',
      custom: { foo: 'bar' },
    };
    const updated = await s.sdk.call('POST', `/users/${userId}`, attributes);
    expect(updated.transcript).toMatch(/^POST \/v1\/users\//m);
    expectOk(updated);
    expect(updated.json, updated.transcript).toMatchObject(attributes);

    const got = await s.sdk.call('GET', `/users/${userId}`);
    expectOk(got);
    expect(got.json, got.transcript).toMatchObject({ isEnrolled: true, ...attributes });

    // The POST updates only what it is given, as the PATCH does.
    expectOk(await s.sdk.call('POST', `/users/${userId}`, { displayName: 'Renamed' }));
    const again = await s.sdk.call('GET', `/users/${userId}`);
    expect(again.json, again.transcript).toMatchObject({ phoneNumber: '+6427123456', displayName: 'Renamed' });
  });

  it('authenticator tests: get_authenticators is a bare array with camelCase keys; delete_authenticator', async () => {
    const userId = `rb-auth-${randomUUID()}`;
    expectOk(
      await s.sdk.call('POST', `/users/${userId}/authenticators`, {
        verificationMethod: 'SMS',
        phoneNumber: '+6427000000',
      }),
    );
    const listed = await s.sdk.call('GET', `/users/${userId}/authenticators`);
    expectOk(listed);
    expect(Array.isArray(listed.json), listed.transcript).toBe(true);
    // The SDK snake-cases Hash bodies but not arrays, so its own spec reads these camelCase keys.
    expect(listed.json[0], listed.transcript).toMatchObject({
      userAuthenticatorId: expect.any(String),
      verificationMethod: 'SMS',
      phoneNumber: '+6427000000',
    });
    const deleted = await s.sdk.call('DELETE', `/users/${userId}/authenticators/${listed.json[0].userAuthenticatorId}`);
    expectOk(deleted);
    expect((await s.sdk.call('GET', `/users/${userId}/authenticators`)).json).toEqual([]);
  });

  it('track with camelCased attributes and snake_case custom keys, get_action, query_user_actions, update_action, delete_user', async () => {
    const userId = `rb-track-${randomUUID()}`;
    // As to_json writes it: 400.00 is a Float, written 400.0.
    const body =
      '{"redirectUrl":"https://wwww.example.com","email":"test@example.com","deviceId":"xxx",' +
      '"userAgent":"Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:102.0) Gecko/20100101 Firefox/102.0",' +
      '"ipAddress":"1.1.1.1","custom":{"it_could_be_a_bool":true,"it_could_be_a_string":"test","it_could_be_a_number":400.0}}';
    const tracked = await s.sdk.call('POST', `/users/${userId}/actions/signIn`, { raw: body });
    expectOk(tracked);
    expect(tracked.json, tracked.transcript).toMatchObject({ state: 'ALLOW', idempotencyKey: expect.any(String) });

    const got = await s.sdk.call(
      'GET',
      `/users/${encodeURIComponent(userId)}/actions/signIn/${tracked.json.idempotencyKey}`,
    );
    expectOk(got);
    expect(got.json.state, got.transcript).toBe('ALLOW');

    const queried = await s.sdk.call('GET', `/users/${userId}/actions?codes=signIn`);
    expectOk(queried);
    expect(queried.json, queried.transcript).toMatchObject([
      { actionCode: 'signIn', idempotencyKey: tracked.json.idempotencyKey, state: 'ALLOW' },
    ]);

    const updated = await s.sdk.call('PATCH', `/users/${userId}/actions/signIn/${tracked.json.idempotencyKey}`, {
      state: 'BLOCK',
    });
    expectOk(updated);
    expect(updated.json.state, updated.transcript).toBe('BLOCK');

    // delete_user: a DELETE with the connection's Content-Type and no body.
    const deleted = await s.sdk.call('DELETE', `/users/${userId}`);
    expectOk(deleted);
    expect(deleted.json, deleted.transcript).toEqual({ success: true });
    expect((await s.sdk.call('GET', `/users/${userId}`)).json.isEnrolled).toBe(false);
  });

  it('validate_challenge with nil members compacted away, and with the older "action": null', async () => {
    const userId = `rb-validate-${randomUUID()}`;
    const tracked = await s.sdk.call('POST', `/users/${userId}/actions/rbChallenge`, {});
    expectOk(tracked);
    for (const body of [{ token: tracked.json.token }, { userId, token: tracked.json.token, action: null }]) {
      const res = await s.sdk.call('POST', '/validate', body);
      expectOk(res);
      expect(res.json, res.transcript).toMatchObject({
        isValid: false,
        state: 'CHALLENGE_REQUIRED',
        userId,
        actionCode: 'rbChallenge',
      });
    }
  });

  it('add-challenge-methods branch: challenge, verify, claim_challenge, validate_challenge', async () => {
    const to = phone();
    const userId = `rb-signin-${randomUUID()}`;
    const started = await s.sdk.call('POST', '/challenge', {
      verificationMethod: 'SMS',
      action: 'signIn',
      phoneNumber: to,
    });
    expectOk(started);
    const code = await s.t.lastCode(to);
    const wrong = await s.sdk.call('POST', '/verify', {
      challengeId: started.json.challengeId,
      verificationCode: code === '000000' ? '111111' : '000000',
    });
    expectOk(wrong);
    expect(wrong.json, wrong.transcript).toEqual({ isVerified: false, failureReason: 'CODE_INVALID_OR_EXPIRED' });
    const right = await s.sdk.call('POST', '/verify', {
      challengeId: started.json.challengeId,
      verificationCode: code,
    });
    expectOk(right);
    expect(right.json.isVerified, right.transcript).toBe(true);
    const claimed = await s.sdk.call('POST', '/claim', { challengeId: started.json.challengeId, userId });
    expectOk(claimed);
    const validated = await s.sdk.call('POST', '/validate', { userId, token: claimed.json.token, action: 'signIn' });
    expectOk(validated);
    expect(validated.json, validated.transcript).toMatchObject({ isValid: true, state: 'CHALLENGE_SUCCEEDED', userId });
  });

  it('add-challenge-methods branch: get_challenge sends challenge_id (its bug, a typed 400); challengeId works', async () => {
    const to = phone();
    const started = await s.sdk.call('POST', '/challenge', {
      verificationMethod: 'SMS',
      action: 'signIn',
      phoneNumber: to,
    });
    expectOk(started);
    const snake = await s.sdk.call('GET', `/challenges?challenge_id=${started.json.challengeId}`);
    expectError(snake, 400, 'invalid_request');
    const camel = await s.sdk.call('GET', `/challenges?challengeId=${started.json.challengeId}`);
    expectOk(camel);
    expect(camel.json, camel.transcript).toMatchObject({ challengeId: started.json.challengeId, phoneNumber: to });
  });

  it('answers a wrong secret with 401 and the `error` key the SDK reads', async () => {
    const res = await s.sdk.withKey('invalid_secret').call('GET', `/users/${randomUUID()}`);
    expectError(res, 401, 'unauthorized');
    expect(res.json.errorDescription, res.transcript).toBe(UNAUTHORIZED_DESCRIPTION);
  });
});

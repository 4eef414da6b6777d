import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UNAUTHORIZED_DESCRIPTION } from '../../src/errors.js';
import { databases } from '../helpers/databases.js';
import { phone } from '../helpers/server.js';
import { expectError, expectOk } from './replay.js';
import { php } from './server-sdks.js';
import { useServerSdk } from './server-suite.js';

/**
 * authsignal-php 4.5.0 (`AuthsignalRequestTransport` over curl): every request carries
 * `Content-Type: application/json` and an explicit `Content-Length`, which is 0 for a GET, a DELETE
 * and a track without attributes (an empty payload is sent as no body at all). json_encode writes
 * every `/` as `\/`, and the older validateChallenge sends unset `userId`/`action` as null.
 * challenge, verify, claim and getChallenge exist only on the unmerged `add-challenge-methods` branch.
 */
describe.each(databases)('PHP SDK (authsignal-php 4.5.0) over the wire ($name)', (db) => {
  const s = useServerSdk(db, php, 'phpChallenge');

  it('track without attributes is an empty POST with Content-Length: 0, and is tracked', async () => {
    const userId = `php-${randomUUID()}`;
    const tracked = await s.sdk.call('POST', `/users/${userId}/actions/phpChallenge`);
    expect(tracked.transcript).toContain('Content-Type: application/json\r\nContent-Length: 0\r\n');
    expectOk(tracked);
    expect(tracked.json, tracked.transcript).toMatchObject({
      state: 'CHALLENGE_REQUIRED',
      idempotencyKey: expect.any(String),
      token: expect.stringMatching(/^ey/),
      url: expect.stringContaining('?'),
    });
  });

  it('reads json_encode escaped slashes: the redirectUrl is stored as https://app.example/done', async () => {
    const userId = `php-${randomUUID()}`;
    const tracked = await s.sdk.call('POST', `/users/${userId}/actions/phpChallenge`, {
      redirectUrl: 'https://app.example/done?from=php',
      email: 'php@example.com',
    });
    expect(tracked.transcript).toContain('"redirectUrl":"https:\\/\\/app.example\\/done?from=php"');
    expectOk(tracked);
    // The pre-built UI reads the stored redirectUrl with the track token.
    const context = await s.wire.send({
      method: 'GET',
      path: '/v1/client/hosted/context',
      headers: [['Authorization', `Bearer ${tracked.json.token}`]],
    });
    expectOk(context);
    expect(context.json.redirectUrl, context.transcript).toBe('https://app.example/done?from=php');
  });

  it('GET and DELETE with Content-Type and Content-Length: 0: getUser, getAuthenticators, queryActions, deletes', async () => {
    const userId = `php-${randomUUID()}`;
    const enrolled = await s.sdk.call('POST', `/users/${userId}/authenticators`, {
      verificationMethod: 'SMS',
      phoneNumber: '+6427000000',
    });
    expectOk(enrolled);
    const tracked = await s.sdk.call('POST', `/users/${userId}/actions/signIn`);
    expectOk(tracked);

    const user = await s.sdk.call('GET', `/users/${userId}`);
    expect(user.transcript).toMatch(
      /GET \/v1\/users\/\S+ HTTP\/1.1\r\n[\s\S]*Content-Type: application\/json\r\nContent-Length: 0\r\n/,
    );
    expectOk(user);
    expect(user.json.isEnrolled, user.transcript).toBe(true);

    const listed = await s.sdk.call('GET', `/users/${userId}/authenticators`);
    expectOk(listed);
    expect(listed.json, listed.transcript).toMatchObject([{ phoneNumber: '+6427000000' }]);

    // http_build_query percent-encodes the comma and the colons.
    const query = new URLSearchParams({ fromDate: '2020-01-01T00:00:00.000Z', codes: 'signIn,other', state: 'ALLOW' });
    const actions = await s.sdk.call('GET', `/users/${userId}/actions?${query}`);
    expect(actions.transcript).toContain('codes=signIn%2Cother');
    expectOk(actions);
    expect(actions.json, actions.transcript).toMatchObject([
      { actionCode: 'signIn', idempotencyKey: tracked.json.idempotencyKey, state: 'ALLOW' },
    ]);

    const id = listed.json[0].userAuthenticatorId as string;
    expectOk(await s.sdk.call('DELETE', `/users/${userId}/authenticators/${id}`));
    expectOk(await s.sdk.call('DELETE', `/users/${userId}`));
    expect((await s.sdk.call('GET', `/users/${userId}`)).json.isEnrolled).toBe(false);
  });

  it('updateUser (PATCH) and validateChallenge with the older null userId and action', async () => {
    const userId = `php-${randomUUID()}`;
    const updated = await s.sdk.call('PATCH', `/users/${userId}`, {
      email: 'php-user@example.com',
      displayName: 'PHP',
    });
    expectOk(updated);
    expect(updated.json, updated.transcript).toMatchObject({ email: 'php-user@example.com', displayName: 'PHP' });

    const tracked = await s.sdk.call('POST', `/users/${userId}/actions/phpChallenge`);
    expectOk(tracked);
    const validated = await s.sdk.call('POST', '/validate', { userId: null, action: null, token: tracked.json.token });
    expectOk(validated);
    expect(validated.json, validated.transcript).toMatchObject({
      isValid: false,
      state: 'CHALLENGE_REQUIRED',
      userId,
      actionCode: 'phpChallenge',
    });
  });

  it('getAction, updateAction (PATCH) and queryUsers', async () => {
    const userId = `php-${randomUUID()}`;
    const email = `php-${randomUUID()}@example.com`;
    expectOk(await s.sdk.call('PATCH', `/users/${userId}`, { email }));
    const tracked = await s.sdk.call('POST', `/users/${userId}/actions/phpChallenge`);
    expectOk(tracked);
    const path = `/users/${userId}/actions/phpChallenge/${tracked.json.idempotencyKey}`;
    const got = await s.sdk.call('GET', path);
    expectOk(got);
    expect(got.json.state, got.transcript).toBe('CHALLENGE_REQUIRED');
    const updated = await s.sdk.call('PATCH', path, { state: 'REVIEW_SUCCEEDED' });
    expectOk(updated);
    expect(updated.json.state, updated.transcript).toBe('REVIEW_SUCCEEDED');
    expect((await s.sdk.call('GET', path)).json.state).toBe('REVIEW_SUCCEEDED');
    const found = await s.sdk.call('GET', `/users?email=${encodeURIComponent(email)}`);
    expectOk(found);
    expect(found.json.users, found.transcript).toMatchObject([{ userId, email }]);
  });

  it('add-challenge-methods branch: challenge, verify, claim, validateChallenge, getChallenge', async () => {
    const to = phone();
    const userId = `php-signin-${randomUUID()}`;
    const started = await s.sdk.call('POST', '/challenge', {
      verificationMethod: 'SMS',
      action: 'signIn',
      phoneNumber: to,
    });
    expectOk(started);
    const challengeId = started.json.challengeId as string;

    const described = await s.sdk.call('GET', `/challenges?challengeId=${challengeId}`);
    expectOk(described);
    expect(described.json, described.transcript).toMatchObject({ challengeId, phoneNumber: to, action: 'signIn' });

    const code = await s.t.lastCode(to);
    const wrong = await s.sdk.call('POST', '/verify', {
      challengeId,
      verificationCode: code === '000000' ? '111111' : '000000',
    });
    expect(wrong.json, wrong.transcript).toEqual({ isVerified: false, failureReason: 'CODE_INVALID_OR_EXPIRED' });
    const right = await s.sdk.call('POST', '/verify', { challengeId, verificationCode: code });
    expectOk(right);
    expect(right.json.isVerified, right.transcript).toBe(true);
    const claimed = await s.sdk.call('POST', '/claim', { challengeId, userId });
    expectOk(claimed);
    const validated = await s.sdk.call('POST', '/validate', { userId, action: 'signIn', token: claimed.json.token });
    expectOk(validated);
    expect(validated.json, validated.transcript).toMatchObject({ isValid: true, state: 'CHALLENGE_SUCCEEDED', userId });
  });

  it('answers getDevices (not implemented) with a typed 404 and a wrong secret with a 401', async () => {
    expectError(await s.sdk.call('GET', `/users/php-${randomUUID()}/devices`), 404, 'not_found');
    const bad = await s.sdk.withKey('invalid_secret').call('GET', `/users/${randomUUID()}`);
    expectError(bad, 401, 'unauthorized');
    expect(bad.json.errorDescription, bad.transcript).toBe(UNAUTHORIZED_DESCRIPTION);
    expectError(
      await s.sdk.withKey('invalid_secret').call('GET', `/users/php-${randomUUID()}/devices`),
      401,
      'unauthorized',
    );
  });
});

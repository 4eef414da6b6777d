import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { UNAUTHORIZED_DESCRIPTION } from '../../src/errors.js';
import { databases } from '../helpers/databases.js';
import { phone } from '../helpers/server.js';
import { expectError, expectOk } from './replay.js';
import { python } from './server-sdks.js';
import { useServerSdk } from './server-suite.js';

/**
 * authsignal-python 4.3.0 (`AuthsignalClient` over a requests Session): the session's
 * `Content-Type: application/json` goes on every method, GET and DELETE included; bodies are
 * `json.dumps` output (`", "` and `": "`) with top-level None values removed; path segments are
 * percent-encoded with urllib.parse.quote; responses are decoded only when their Content-Type is
 * exactly `application/json`. The SDK has no challenge, verify or claim: those steps are plain HTTP
 * here, sent with the same session headers. Attribute keys go out as given (no camelCasing).
 */
describe.each(databases)('Python SDK (authsignal 4.3.0) over the wire ($name)', (db) => {
  const s = useServerSdk(db, python, 'pyChallenge');

  /** urllib.parse.quote, as the SDK applies it to path segments. */
  const quote = (s: string) => encodeURIComponent(s).replace(/%2F/g, '/');

  /** challenge → verify with the delivered code (plain HTTP, the SDK has neither). */
  async function verifiedChallenge(body: Record<string, unknown>, to: string) {
    const started = await s.sdk.call('POST', '/challenge', body);
    expectOk(started);
    const verified = await s.sdk.call('POST', '/verify', {
      challengeId: started.json.challengeId,
      verificationCode: await s.t.lastCode(to),
    });
    expectOk(verified);
    expect(verified.json.isVerified, verified.transcript).toBe(true);
    return started.json.challengeId as string;
  }

  it('test_users: update_user with phone_number "9876543210" reads back unchanged; delete_user; get_user', async () => {
    const userId = `py user ${randomUUID()}@example`;
    const path = `/users/${quote(userId)}`;
    const updated = await s.sdk.call('PATCH', path, { phoneNumber: '9876543210', displayName: 'A New User' });
    expect(updated.transcript).toContain('{"phoneNumber": "9876543210", "displayName": "A New User"}');
    expectOk(updated);
    expect(updated.json, updated.transcript).toMatchObject({ phoneNumber: '9876543210', displayName: 'A New User' });

    // GET with the session's Content-Type and no body.
    const got = await s.sdk.call('GET', path);
    expectOk(got);
    expect(got.json, got.transcript).toMatchObject({ phoneNumber: '9876543210', displayName: 'A New User' });

    // DELETE with Content-Type and Content-Length: 0.
    const deleted = await s.sdk.call('DELETE', path);
    expectOk(deleted);
    expect(deleted.json, deleted.transcript).toEqual({ success: true });
    const gone = await s.sdk.call('GET', path);
    expectOk(gone);
    expect(gone.json.isEnrolled, gone.transcript).toBe(false);
    expect(gone.json.email ?? undefined, gone.transcript).toBeUndefined();
  });

  it('enroll_verified_authenticator with +6427000000, then update_user to +6427123456', async () => {
    const userId = `py-user-4b-${randomUUID()}`;
    const enrolled = await s.sdk.call('POST', `/users/${userId}/authenticators`, {
      verificationMethod: 'SMS',
      phoneNumber: '+6427000000',
    });
    expectOk(enrolled);
    expect(enrolled.json.authenticator, enrolled.transcript).toMatchObject({
      verificationMethod: 'SMS',
      phoneNumber: '+6427000000',
    });
    const updated = await s.sdk.call('PATCH', `/users/${userId}`, { phoneNumber: '+6427123456' });
    expectOk(updated);
    expect(updated.json.phoneNumber, updated.transcript).toBe('+6427123456');
    const got = await s.sdk.call('GET', `/users/${userId}`);
    expect(got.json, got.transcript).toMatchObject({ isEnrolled: true, phoneNumber: '+6427123456' });
    const listed = await s.sdk.call('GET', `/users/${userId}/authenticators`);
    expectOk(listed);
    expect(listed.json, listed.transcript).toMatchObject([{ verificationMethod: 'SMS', phoneNumber: '+6427000000' }]);
  });

  it('track without attributes sends {}; get_action; update_action; get_action shows the new state', async () => {
    const userId = `py-track-${randomUUID()}`;
    const tracked = await s.sdk.call('POST', `/users/${userId}/actions/signIn`, {});
    expectOk(tracked);
    expect(tracked.json, tracked.transcript).toMatchObject({
      state: 'ALLOW',
      idempotencyKey: expect.any(String),
      token: expect.stringMatching(/^ey/),
      url: expect.stringContaining('?'),
    });
    const path = `/users/${userId}/actions/signIn/${tracked.json.idempotencyKey}`;
    const got = await s.sdk.call('GET', path);
    expectOk(got);
    expect(got.json.state, got.transcript).toBe('ALLOW');
    const updated = await s.sdk.call('PATCH', path, { state: 'REVIEW_REQUIRED' });
    expectOk(updated);
    expect(updated.json.state, updated.transcript).toBe('REVIEW_REQUIRED');
    expect((await s.sdk.call('GET', path)).json.state).toBe('REVIEW_REQUIRED');
  });

  it('test_actions: snake_case attribute keys are not Authsignal fields and record nothing', async () => {
    const userId = `py-snake-${randomUUID()}`;
    const tracked = await s.sdk.call('POST', `/users/${userId}/actions/signIn`, {
      redirect_url: 'https://example.com/done',
      email: 'py-snake@example.com',
      phone_number: '+64270000000',
      ip_address: '127.0.0.1',
    });
    expectOk(tracked);
    expect(tracked.json.state, tracked.transcript).toBe('ALLOW');
    const user = await s.sdk.call('GET', `/users/${userId}`);
    expectOk(user);
    expect(user.json.email, user.transcript).toBe('py-snake@example.com');
    expect(user.json.phoneNumber ?? undefined, user.transcript).toBeUndefined();
  });

  it('validate_challenge on a claimed SMS challenge: valid once, then isValid false', async () => {
    const to = phone();
    const userId = `py-validate-${randomUUID()}`;
    const challengeId = await verifiedChallenge({ verificationMethod: 'SMS', action: 'signIn', phoneNumber: to }, to);
    const claimed = await s.sdk.call('POST', '/claim', { challengeId, userId });
    expectOk(claimed);
    const first = await s.sdk.call('POST', '/validate', { token: claimed.json.token, action: 'signIn' });
    expectOk(first);
    expect(first.json, first.transcript).toMatchObject({
      isValid: true,
      state: 'CHALLENGE_SUCCEEDED',
      userId,
      actionCode: 'signIn',
    });
    const again = await s.sdk.call('POST', '/validate', { token: claimed.json.token, action: 'signIn' });
    expectOk(again);
    expect(again.json, again.transcript).toMatchObject({ isValid: false, state: 'CHALLENGE_SUCCEEDED' });
  });

  it('validate_challenge on a fresh CHALLENGE track token: isValid false with state, action and userId', async () => {
    const userId = `py-fresh-${randomUUID()}`;
    const tracked = await s.sdk.call('POST', `/users/${userId}/actions/pyChallenge`, {});
    expectOk(tracked);
    expect(tracked.json.state, tracked.transcript).toBe('CHALLENGE_REQUIRED');
    const validated = await s.sdk.call('POST', '/validate', { token: tracked.json.token });
    expectOk(validated);
    expect(validated.json, validated.transcript).toMatchObject({
      isValid: false,
      state: 'CHALLENGE_REQUIRED',
      userId,
      actionCode: 'pyChallenge',
    });
  });

  it('scope add:authenticators then update:authenticators: get_authenticators shows the number, then the new one', async () => {
    const userId = `py-scope-${randomUUID()}`;
    const first = phone();
    await verifiedChallenge(
      { verificationMethod: 'SMS', action: 'addPhone', userId, phoneNumber: first, scope: 'add:authenticators' },
      first,
    );
    const added = await s.sdk.call('GET', `/users/${userId}/authenticators`);
    expectOk(added);
    expect(added.json, added.transcript).toMatchObject([{ verificationMethod: 'SMS', phoneNumber: first }]);

    const second = phone();
    await verifiedChallenge(
      { verificationMethod: 'SMS', action: 'changePhone', userId, phoneNumber: second, scope: 'update:authenticators' },
      second,
    );
    const changed = await s.sdk.call('GET', `/users/${userId}/authenticators`);
    expectOk(changed);
    expect(changed.json, changed.transcript).toMatchObject([
      { verificationMethod: 'SMS', phoneNumber: second, userAuthenticatorId: added.json[0].userAuthenticatorId },
    ]);

    const id = added.json[0].userAuthenticatorId as string;
    expectOk(await s.sdk.call('DELETE', `/users/${userId}/authenticators/${id}`));
    expect((await s.sdk.call('GET', `/users/${userId}/authenticators`)).json).toEqual([]);
  });

  it('query_users by email', async () => {
    const userId = `py-query-${randomUUID()}`;
    const email = `py-${randomUUID()}@example.com`;
    expectOk(await s.sdk.call('PATCH', `/users/${userId}`, { email }));
    const found = await s.sdk.call('GET', `/users?email=${encodeURIComponent(email)}`);
    expectOk(found);
    expect(found.json.users, found.transcript).toMatchObject([{ userId, email }]);
  });

  it('answers a wrong secret with 401 and the errorCode and errorDescription ApiException reads', async () => {
    const res = await s.sdk.withKey('invalid_secret').call('GET', `/users/${randomUUID()}`);
    expectError(res, 401, 'unauthorized');
    expect(res.json.errorDescription, res.transcript).toBe(UNAUTHORIZED_DESCRIPTION);
  });

  it('answers an invalid phone number with 400 and an unknown idempotency key with 404, both typed', async () => {
    const invalid = await s.sdk.call('POST', `/users/py-bad-${randomUUID()}/authenticators`, {
      verificationMethod: 'SMS',
      phoneNumber: 'not-a-number',
    });
    expectError(invalid, 400, 'invalid_request');
    const unknown = await s.sdk.call('GET', `/users/py-none-${randomUUID()}/actions/signIn/${randomUUID()}`);
    expectError(unknown, 404, 'not_found');
  });
});

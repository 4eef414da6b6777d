/**
 * The pre-built UI's script, plain browser JavaScript with no dependencies. It speaks the Client API of
 * its own origin with the token from its URL, and finishes as the browser SDK's `launch()` expects:
 * - popup or window (`mode=popup`): posts JSON-string messages to the opener or parent, namely
 *   AUTHSIGNAL_READY when shown, AUTHSIGNAL_API_ERROR on API errors, AUTHSIGNAL_CLOSE_POPUP with the
 *   new token at the end; plus `{height}` objects so that an auto-sized popup fits its content;
 * - redirect (default): sends the browser to the track call's redirectUrl with `token` added. The
 *   redirectUrl comes from the server (it is stored with the action), never from this page's URL, so a
 *   rewritten link cannot send the token elsewhere.
 */
export const HOSTED_SCRIPT = `'use strict';
(() => {
  const params = new URLSearchParams(location.search);
  const popup = params.get('mode') === 'popup';
  let token = params.get('token') || '';
  let context = null;
  const $ = (id) => document.getElementById(id);
  const show = (id) => {
    for (const s of ['loading', 'enroll', 'verify', 'done']) $(s).hidden = s !== id;
    resize();
  };
  const parentWindow = () => window.opener || (window.parent !== window ? window.parent : null);
  const appOrigin = () => {
    try { if (document.referrer) return new URL(document.referrer).origin; } catch (e) {}
    try { if (context && context.redirectUrl) return new URL(context.redirectUrl).origin; } catch (e) {}
    return null;
  };
  const post = (message) => {
    const target = parentWindow();
    const origin = appOrigin();
    if (popup && target && origin) target.postMessage(message, origin);
  };
  const resize = () => post({ height: document.documentElement.scrollHeight });
  const fail = (text) => { $('error').textContent = text; resize(); };

  async function api(method, path, body) {
    const response = await fetch('/v1/client' + path, {
      method,
      headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = await response.json();
    if (data && data.error) {
      post(JSON.stringify({ event: 'AUTHSIGNAL_API_ERROR', errorCode: data.errorCode, statusCode: response.status }));
      throw new Error(data.errorDescription || data.error);
    }
    return data;
  }

  async function sendCode() {
    await api('POST', '/challenge/sms');
    show('verify');
    $('code').focus();
  }

  function finish(newToken) {
    if (popup) {
      post(JSON.stringify({ event: 'AUTHSIGNAL_CLOSE_POPUP', token: newToken }));
    } else if (context && context.redirectUrl) {
      const url = new URL(context.redirectUrl);
      url.searchParams.set('token', newToken);
      location.assign(url.toString());
    }
    show('done');
  }

  $('enroll').addEventListener('submit', async (event) => {
    event.preventDefault();
    fail('');
    try {
      await api('POST', '/user-authenticators/sms', { phoneNumber: $('phone').value.trim() });
      $('sent-to').textContent = 'We sent a code to ' + $('phone').value.trim() + '.';
      show('verify');
    } catch (e) { fail(e.message); }
  });

  $('verify').addEventListener('submit', async (event) => {
    event.preventDefault();
    fail('');
    const button = event.submitter || $('verify').querySelector('button[type=submit]');
    button.disabled = true;
    try {
      const result = await api('POST', '/verify/sms', { verificationCode: $('code').value.trim() });
      if (result.isVerified) return finish(result.accessToken);
      fail(result.failureReason === 'MAX_ATTEMPTS_EXCEEDED'
        ? 'Too many wrong codes. Start again.'
        : 'That code is not right, or it has expired.');
    } catch (e) { fail(e.message); } finally { button.disabled = false; }
  });

  $('resend').addEventListener('click', async () => {
    fail('');
    try { await sendCode(); } catch (e) { fail(e.message); }
  });

  (async () => {
    post(JSON.stringify({ event: 'AUTHSIGNAL_READY' }));
    if (!token) return fail('This link is missing its token.');
    try {
      context = await api('GET', '/hosted/context');
      if (context.phoneNumberHint) $('sent-to').textContent = 'We sent a code to ' + context.phoneNumberHint + '.';
      if (context.isEnrolled) await sendCode();
      else show('enroll');
    } catch (e) { show('loading'); fail(e.message); }
  })();
})();
`;

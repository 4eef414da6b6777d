/**
 * The pre-built UI's script, plain browser JavaScript with no dependencies. It speaks the Client API of
 * its own origin with the token from its URL, and finishes in one of these ways, first match wins:
 * 1. popup or window (`mode=popup`, the browser SDK's `launch()`): posts JSON-string messages to the
 *    parent or opener, namely AUTHSIGNAL_READY when shown, AUTHSIGNAL_API_ERROR on API errors and
 *    AUTHSIGNAL_CLOSE_POPUP with the new token at the end; plus `{height}` objects so that an auto-sized
 *    popup fits its content. Where they may go is decided by `appOrigins()` below, never `'*'`;
 * 2. redirect to the redirectUrl that track stored, with `token` added. It comes from the server (it is
 *    stored with the action), never from this page's URL, so a rewritten link cannot send the token
 *    elsewhere;
 * 3. React Native's `launch(url)` (`nativeScheme=authsignal`, and track stored no redirectUrl): goes
 *    to `authsignal://auth?token=…`, which the SDK's auth session (iOS) or RedirectActivity (Android)
 *    catches. Only that one fixed value is honoured; any other `nativeScheme` is ignored, so the link
 *    cannot choose where a token goes either;
 * 4. otherwise it shows "Verified" and stops.
 */
export const HOSTED_SCRIPT = `'use strict';
(() => {
  const NATIVE_SCHEME = 'authsignal';
  const NATIVE_RETURN_URL = 'authsignal://auth';
  const params = new URLSearchParams(location.search);
  const popup = params.get('mode') === 'popup';
  const native = params.get('nativeScheme') === NATIVE_SCHEME;
  let token = params.get('token') || '';
  let context = null;
  const $ = (id) => document.getElementById(id);
  const show = (id) => {
    for (const s of ['loading', 'enroll', 'verify', 'done', 'stopped']) $(s).hidden = s !== id;
    resize();
  };
  const framed = window.parent !== window;
  const parentWindow = () => window.opener || (framed ? window.parent : null);
  const originOf = (value) => {
    try {
      const origin = value ? new URL(value).origin : '';
      return origin && origin !== 'null' ? origin : null;
    } catch (e) { return null; }
  };
  // Where popup and window messages may go, first match wins. postMessage delivers only to a window of
  // the origin it names, and the new token is in a message, so the origin must be one the app can be
  // known to have; '*' would hand the token to any page that framed or opened this one.
  // 1. the Referer's origin: the page that framed or opened this one (absent under no-referrer);
  // 2. the origin of the redirectUrl stored by track: the app told the server where it lives;
  // 3. in an iframe, location.ancestorOrigins[0]: the parent's origin, set by the browser (Chromium
  //    and WebKit; Firefox has no ancestorOrigins);
  // 4. every origin of SIGIL_CLIENT_ORIGINS: only the one that is the parent's or opener's receives.
  const appOrigins = () => {
    const referrer = originOf(document.referrer);
    if (referrer) return [referrer];
    const redirect = context && originOf(context.redirectUrl);
    if (redirect) return [redirect];
    const ancestors = framed && location.ancestorOrigins;
    const ancestor = ancestors && ancestors.length > 0 ? originOf(ancestors[0]) : null;
    if (ancestor) return [ancestor];
    return context ? (context.clientOrigins || []).map(originOf).filter(Boolean) : [];
  };
  const post = (message) => {
    const target = parentWindow();
    if (!popup || !target) return;
    for (const origin of appOrigins()) target.postMessage(message, origin);
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
    } else if (native) {
      const url = NATIVE_RETURN_URL + '?token=' + encodeURIComponent(newToken);
      // A link too, in case the browser wants a tap before it opens the app.
      $('return').href = url;
      $('return').hidden = false;
      location.href = url;
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

  // The page cannot go on: no form, only the reason.
  const stop = (text) => { show('stopped'); fail(text); };
  let announced = false;
  const announce = () => {
    if (announced || appOrigins().length === 0) return;
    announced = true;
    post(JSON.stringify({ event: 'AUTHSIGNAL_READY' }));
  };

  (async () => {
    announce(); // with a Referer the app's origin is known at once; otherwise once the context has come
    if (!token) return stop('This link is missing its token.');
    try {
      context = await api('GET', '/hosted/context');
    } catch (e) { announce(); return stop(e.message); }
    announce();
    if (popup && appOrigins().length === 0) {
      // No code is sent: the result could not reach the app.
      return stop(
        'This window cannot return its result to the app, because it does not know the origin of the app: '
        + 'the app page sent no Referer and track was given no redirectUrl. '
        + 'To fix this, add the origin of the app to SIGIL_CLIENT_ORIGINS on the Sigil server.'
      );
    }
    if (context.phoneNumberHint) $('sent-to').textContent = 'We sent a code to ' + context.phoneNumberHint + '.';
    try {
      if (context.isEnrolled) await sendCode();
      else show('enroll');
    } catch (e) { stop(e.message); }
  })();
})();
`;

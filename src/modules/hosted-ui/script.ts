/**
 * The pre-built UI's script, plain browser JavaScript with no dependencies. It speaks the Client API of
 * its own origin with the token from its URL, and finishes in one of these ways, first match wins:
 * 1. popup or window (`mode=popup`, the browser SDK's `launch()`): posts JSON-string messages to the
 *    parent or opener, namely AUTHSIGNAL_READY when shown, AUTHSIGNAL_API_ERROR on API errors and
 *    AUTHSIGNAL_CLOSE_POPUP with the new token at the end; plus `{height}` objects so that an auto-sized
 *    popup fits its content. Where they may go is decided by `appOrigins()` below, never `'*'`;
 * 2. redirect to the redirectUrl that track stored, with `token` added. It comes from the server (it is
 *    stored with the action), never from this page's URL, so a rewritten link cannot send the token
 *    elsewhere. One that is no absolute URL, or has a scheme that runs code, stops the page with the
 *    reason before a code is sent (track refuses them, but an older action may hold any string);
 * 3. React Native's `launch(url)` (`nativeScheme=authsignal`, and track stored no redirectUrl): goes
 *    to `authsignal://auth?token=…`, which the SDK's auth session (iOS) or RedirectActivity (Android)
 *    catches. Only that one fixed value is honoured; any other `nativeScheme` is ignored, so the link
 *    cannot choose where a token goes either. The scheme itself is the React Native SDK's design and
 *    belongs to no one: on Android any installed app can register `authsignal://auth` too, and may be
 *    the one that receives the token. Apps that need more use a redirectUrl of their own;
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
  const absoluteUrl = (value) => {
    try { return typeof value === 'string' && value ? new URL(value) : null; } catch (e) { return null; }
  };
  const originOf = (value) => {
    const url = absoluteUrl(value);
    return url && url.origin !== 'null' ? url.origin : null;
  };
  const httpOrigin = (value) => {
    const url = absoluteUrl(value);
    return url && (url.protocol === 'https:' || url.protocol === 'http:') ? url.origin : null;
  };
  // Where popup and window messages may go. postMessage delivers only to a window of the origin it
  // names, and the new token is in a message, so it must name an origin the app is known to have; '*'
  // would hand the token to any page that framed or opened this one. The link is no such proof: it
  // carries its token and leaks (history, logs, Referer), and anyone who holds it can window.open() it
  // with mode=popup from a page of their own (frame-ancestors does not apply to windows). Nor is the
  // Referer or location.ancestorOrigins: they name whoever opened or framed this page, which is the
  // question, not the answer. So:
  // - the trusted origins T are the stored redirectUrl's origin, when it is http(s) (the app told the
  //   server where it lives, with its secret key), and every origin of SIGIL_CLIENT_ORIGINS;
  // - when T has members, the Referer's origin, then (in an iframe) location.ancestorOrigins[0], is
  //   used only if it is in T. Otherwise every member of T is named: only the opener or parent that
  //   really has one of them receives, and an opener on any other origin receives nothing;
  // - when T is empty (a default install, and track was given no http(s) redirectUrl), there is
  //   nothing to check against: the page trusts the Referer's origin, then ancestorOrigins[0]
  //   (Chromium and WebKit set it; Firefox has none). SIGIL_CLIENT_ORIGINS is what closes that gap.
  //   With neither, popup mode stops and says what to configure.
  // Until the context has come, T is unknown and the same fallback names where READY, API errors and
  // heights go; none of them carries a token, and the token is only ever posted after the context.
  const trustedOrigins = () => {
    if (!context) return null;
    const trusted = new Set();
    const redirect = httpOrigin(context.redirectUrl);
    if (redirect) trusted.add(redirect);
    for (const origin of (context.clientOrigins || []).map(originOf)) if (origin) trusted.add(origin);
    return [...trusted];
  };
  const appOrigins = () => {
    const referrer = originOf(document.referrer);
    const ancestors = framed && location.ancestorOrigins;
    const ancestor = ancestors && ancestors.length > 0 ? originOf(ancestors[0]) : null;
    const trusted = trustedOrigins();
    if (!trusted || trusted.length === 0) {
      const opener = referrer || ancestor;
      return opener ? [opener] : [];
    }
    for (const origin of [referrer, ancestor]) if (origin && trusted.includes(origin)) return [origin];
    return trusted;
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

  // Where redirect mode goes: the stored redirectUrl, when it is an absolute URL whose scheme leaves
  // this origin instead of running or reading something in it. Track refuses any other (the same
  // schemes), but an action stored before it did may hold any string.
  const SCRIPT_SCHEMES = ['javascript:', 'data:', 'vbscript:', 'blob:', 'file:'];
  const redirectTarget = () => {
    const url = context && absoluteUrl(context.redirectUrl);
    return url && !SCRIPT_SCHEMES.includes(url.protocol) ? url : null;
  };

  function finish(newToken) {
    if (popup) {
      if (context) post(JSON.stringify({ event: 'AUTHSIGNAL_CLOSE_POPUP', token: newToken }));
    } else if (context && context.redirectUrl) {
      const url = redirectTarget();
      if (!url) return stop('The redirectUrl given to track is not an absolute URL that a page can be sent to.');
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
    if (!popup && context.redirectUrl && !redirectTarget()) {
      // No code is sent: the token could not be taken anywhere. (nativeScheme does not stand in: the
      // app asked for a redirect.)
      return stop(
        'This page cannot return its result to the app, because the redirectUrl given to track is not '
        + 'an absolute URL that a page can be sent to (such as https://app.example/done). '
        + 'To fix this, pass such a redirectUrl to track.'
      );
    }
    if (popup && appOrigins().length === 0) {
      // No code is sent: the result could not reach the app.
      return stop(
        'This window cannot return its result to the app, because it does not know the origin of the app: '
        + 'the app page sent no Referer, track was given no http(s) redirectUrl '
        + 'and SIGIL_CLIENT_ORIGINS is empty. '
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

/** The pre-built UI's page: static HTML; all behaviour is in script.ts, served from the same origin. */
export const HOSTED_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Verify it's you</title>
<style>
  body { font: 16px/1.45 system-ui, sans-serif; margin: 0; padding: 24px; color: #1b1f24; background: #fff; }
  main { max-width: 340px; margin: 0 auto; }
  h1 { font-size: 20px; margin: 0 0 8px; }
  p { margin: 0 0 16px; color: #4a5361; }
  label { display: block; font-weight: 600; margin-bottom: 6px; }
  input { width: 100%; box-sizing: border-box; font-size: 20px; padding: 10px 12px; border: 1px solid #c4cad3; border-radius: 8px; }
  input#code { letter-spacing: 6px; text-align: center; }
  button, a.button { width: 100%; margin-top: 12px; padding: 12px; font-size: 16px; border: 0; border-radius: 8px; background: #2f5bea; color: #fff; cursor: pointer; }
  a.button { display: block; box-sizing: border-box; text-align: center; text-decoration: none; }
  button.link { background: none; color: #2f5bea; padding: 6px; margin-top: 6px; }
  button:disabled { opacity: .6; cursor: default; }
  .error { color: #b42318; min-height: 1.4em; margin-top: 10px; }
  [hidden] { display: none !important; }
</style>
<script src="/hosted/app.js" defer></script>
</head>
<body>
<main>
  <section id="loading"><p>Loading…</p></section>
  <form id="enroll" hidden>
    <h1>Add your phone</h1>
    <p>We'll text a code to this number to confirm it's yours.</p>
    <label for="phone">Mobile number</label>
    <input id="phone" name="phone" type="tel" autocomplete="tel" placeholder="+64 21 555 0101" required>
    <button type="submit">Send code</button>
  </form>
  <form id="verify" hidden>
    <h1>Enter your code</h1>
    <p id="sent-to">We sent a code by SMS.</p>
    <label for="code">Code</label>
    <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]*" maxlength="10" required>
    <button type="submit">Verify</button>
    <button type="button" id="resend" class="link">Send a new code</button>
  </form>
  <section id="done" hidden>
    <h1>Verified</h1>
    <p>You can close this window.</p>
    <a id="return" class="button" hidden>Return to the app</a>
  </section>
  <section id="stopped" hidden><h1>Something went wrong</h1></section>
  <p class="error" id="error" role="alert"></p>
</main>
</body>
</html>
`;

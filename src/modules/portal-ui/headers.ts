import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';

/**
 * The portal's Content-Security-Policy. Scripts come only from the portal's own files: the build has no
 * inline script at all. Styles come from its files and from the `<style>` tags that carry this
 * response's nonce: Mantine writes its CSS variables and responsive classes into such tags (and
 * react-remove-scroll its scroll lock), and hands them the nonce that index.html holds. Style
 * attributes need no 'unsafe-inline': React sets them through the CSSOM, which CSP does not govern.
 */
function portalCsp(nonce?: string): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    nonce ? `style-src 'self' 'nonce-${nonce}'` : "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}

/** A fresh nonce per index.html response (128 bits, base64). */
export const newNonce = (): string => randomBytes(16).toString('base64');

/** The headers every portal response carries, whatever its body. */
export function securePortalReply(reply: FastifyReply, nonce?: string): FastifyReply {
  return reply
    .header('content-security-policy', portalCsp(nonce))
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('cross-origin-opener-policy', 'same-origin');
}

/** Shown at /portal/ when the server runs without a built portal: a clear instruction, not a crash. */
export const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><title>Sigil portal: not built</title></head>
  <body>
    <main>
      <h1>The portal is not built</h1>
      <p>This server has no built portal in <code>dist/portal</code>. Run <code>npm run build:portal</code>
      (or <code>npm ci</code>, which builds everything), then reload this page.</p>
    </main>
  </body>
</html>
`;

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { NOT_BUILT_PAGE, newNonce, securePortalReply } from './headers.js';

/** Where `vite build` writes the portal: dist/portal at the repository root, from src/ or dist/src/. */
function defaultPortalRoot(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const up = here.includes(`${join('dist', 'src')}`) ? '../../../..' : '../../..';
  return join(here, up, 'dist', 'portal');
}

const NONCE_PLACEHOLDER = '__SIGIL_CSP_NONCE__';

/**
 * The operator portal's single page at /portal/ (a hash router, so this is its only entry) and its
 * hashed assets. index.html is read per request, so a rebuild shows without a restart; it is never
 * cached, and it gets a fresh CSP nonce each time. Assets are named by content hash, so they are cached
 * for a year and never revalidated. Without a build, /portal/ is a 503 page that says what to run.
 */
export async function portalUiRoutes(app: FastifyInstance, opts: { root?: string }): Promise<void> {
  const root = opts.root ?? defaultPortalRoot();
  app.addHook('onSend', (request, reply, payload, done) => {
    // index.html sets its own CSP with the nonce; everything else gets the nonce-less policy.
    if (!reply.hasHeader('content-security-policy') && request.url.startsWith('/portal')) securePortalReply(reply);
    done(null, payload);
  });

  app.get('/portal/', async (request, reply) => {
    // The router ignores trailing slashes, so `/portal` arrives here too: send it to the canonical URL,
    // where the hash router and relative links work.
    if (!request.url.split('?')[0]?.endsWith('/')) return reply.redirect('/portal/', 302);
    let html: string;
    try {
      html = await readFile(join(root, 'index.html'), 'utf8');
    } catch {
      return securePortalReply(reply)
        .code(503)
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(NOT_BUILT_PAGE);
    }
    const nonce = newNonce();
    return securePortalReply(reply, nonce)
      .header('cache-control', 'no-cache')
      .type('text/html; charset=utf-8')
      .send(html.replaceAll(NONCE_PLACEHOLDER, nonce));
  });

  const assets = join(root, 'assets');
  if (existsSync(assets)) {
    await app.register(fastifyStatic, {
      root: assets,
      prefix: '/portal/assets/',
      decorateReply: false,
      index: false,
      dotfiles: 'deny',
      cacheControl: false,
      setHeaders: (res) => res.setHeader('cache-control', 'public, max-age=31536000, immutable'),
    });
  }
}

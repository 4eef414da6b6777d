import type { FastifyInstance, FastifyReply } from 'fastify';
import type { Deps } from '../../deps.js';
import { HOSTED_PAGE } from './page.js';
import { HOSTED_SCRIPT } from './script.js';

/**
 * The pre-built UI, at the `url` that track returns. Served with a strict Content-Security-Policy (its
 * own script and API only), no caching and no Referer: the page's URL carries a token. It may be framed
 * (the browser SDK's popup is an iframe) by the allowed client origins.
 */
export async function hostedUiRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  const ancestors = deps.config.clientOrigins.length > 0 ? deps.config.clientOrigins.join(' ') : '*';
  const secure = (reply: FastifyReply) =>
    reply
      .header(
        'content-security-policy',
        `default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; frame-ancestors ${ancestors}; base-uri 'none'; form-action 'none'`,
      )
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff');

  app.get('/hosted/challenge', async (_req, reply) => secure(reply).type('text/html; charset=utf-8').send(HOSTED_PAGE));
  app.get('/hosted/app.js', async (_req, reply) =>
    secure(reply).type('text/javascript; charset=utf-8').send(HOSTED_SCRIPT),
  );
}

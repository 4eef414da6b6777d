import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../../deps.js';
import { ApiError } from '../../errors.js';

/** `GET /metrics`: Prometheus text, behind `Bearer SIGIL_METRICS_TOKEN` when that is set. */
export const metricsRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  if (!deps.config.metrics.enabled) return;
  const token = deps.config.metrics.token;
  const description = 'Prometheus metrics in text format (docs/operations.md); a bearer token when one is set.';
  app.get('/metrics', { schema: { tags: ['Operations'], description } }, async (req, reply) => {
    if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
      throw new ApiError('unauthorized', 'A valid metrics bearer token is required');
    }
    reply.header('content-type', deps.metrics.registry.contentType);
    return deps.metrics.registry.metrics();
  });
};

/** Constant time over equal lengths; a length mismatch is refused without comparing. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '');
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

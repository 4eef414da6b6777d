import type { FastifyInstance } from 'fastify';
import type { Deps } from '../deps.js';
import { errorBody } from '../errors.js';
import { ping } from '../storage/db.js';

/** Liveness and readiness for load balancers and orchestrators. */
export async function operationsRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    try {
      await ping(deps.db);
      return { status: 'ready', database: deps.dbKind };
    } catch {
      return reply
        .code(503)
        .type('application/json')
        .send(errorBody('service_unavailable', 'The database is unreachable'));
    }
  });
}

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Deps } from '../deps.js';
import { ApiError } from '../errors.js';
import { ping } from '../storage/db.js';
import { ErrorBody, Reply } from './contract.js';

const tags = ['Operations'];

/** Liveness and readiness for load balancers and orchestrators. */
export const operationsRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.get(
    '/healthz',
    { schema: { tags, description: 'The process serves.', response: { 200: Reply({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );
  app.get(
    '/readyz',
    {
      schema: {
        tags,
        description: 'The process serves and reaches its database, and Redis when REDIS_URL is set.',
        response: {
          200: Reply({ status: Type.Literal('ready'), database: Type.String({ description: 'sqlite or postgres' }) }),
          503: ErrorBody,
        },
      },
    },
    async () => {
      try {
        await ping(deps.db);
      } catch (err) {
        // The catalogue's status (503) and the shared error handler, which logs why the database failed.
        throw new ApiError('service_unavailable', 'The database is unreachable', { cause: err });
      }
      try {
        await deps.counters.ping();
      } catch (err) {
        throw new ApiError('service_unavailable', 'Redis, where the limit counters live, is unreachable', {
          cause: err,
        });
      }
      return { status: 'ready' as const, database: deps.dbKind };
    },
  );
};

import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import type { Permission } from '../modules/operators/roles.js';
import { ErrorBody } from './contract.js';

export interface RouteEntry {
  method: string;
  url: string;
  /** A Management API route's permission and freshness (src/modules/operators/roles.ts), for the role tests. */
  permission?: Permission | undefined;
  fresh?: boolean | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    routeCatalogue: RouteEntry[];
  }
}

/**
 * `/openapi.json`: OpenAPI 3.1, generated from the same route contracts that validate requests and
 * serialise responses, so the document cannot drift from what the server does.
 */
export async function installOpenApi(app: FastifyInstance): Promise<void> {
  // Every route the app serves, as tests and the fuzzer enumerate them (HEAD routes are Fastify's own).
  const routes: RouteEntry[] = [];
  app.decorate('routeCatalogue', routes);
  app.addHook('onRoute', (route) => {
    const { permission, fresh } = route.config ?? {};
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') routes.push({ method, url: route.url, permission, fresh });
    }
  });
  app.addSchema(ErrorBody);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Sigil',
        version: '0.1.0',
        description:
          "Self-hosted SMS one-time passcodes and adaptive MFA, wire-compatible with Authsignal's official SDKs.",
      },
      components: {
        securitySchemes: {
          serverKey: { type: 'http', scheme: 'basic', description: 'The API secret key as the username.' },
          managementKey: { type: 'http', scheme: 'basic', description: 'The management secret key as the username.' },
          clientToken: { type: 'http', scheme: 'bearer', description: 'A token from track or a verified challenge.' },
        },
      },
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}

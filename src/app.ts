import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Deps } from './deps.js';
import { requireApiKey } from './http/auth.js';
import { clientError, frameworkError, installErrorHandling, originForm } from './http/errors.js';
import { installJsonParser } from './http/json.js';
import { managementAccess } from './http/management-auth.js';
import { installOpenApi } from './http/openapi.js';
import { operationsRoutes } from './http/operations.js';
import { actionManagementRoutes } from './modules/actions/management-routes.js';
import { actionRoutes } from './modules/actions/routes.js';
import { ruleToolRoutes } from './modules/actions/rule-tools-routes.js';
import { activityRoutes } from './modules/activity/routes.js';
import { auditWrites } from './modules/audit/record-writes.js';
import { auditLogRoutes } from './modules/audit/routes.js';
import { challengeManagementRoutes } from './modules/challenges/management-routes.js';
import { challengeRoutes } from './modules/challenges/routes.js';
import { clientRoutes } from './modules/client/routes.js';
import { hostedUiRoutes } from './modules/hosted-ui/routes.js';
import { limitsManagementRoutes } from './modules/limits/management-routes.js';
import { limitsReportRoutes } from './modules/limits/report-routes.js';
import { metricsRoutes } from './modules/metrics/routes.js';
import { portalRoutes } from './modules/operators/routes.js';
import { teamRoutes } from './modules/operators/team-routes.js';
import { portalUiRoutes } from './modules/portal-ui/routes.js';
import { reportingRoutes } from './modules/reporting/routes.js';
import { sessionClientRoutes } from './modules/sessions/management-routes.js';
import { sessionRoutes } from './modules/sessions/routes.js';
import { smsReceiptRoutes } from './modules/sms/receipt-routes.js';
import { smsManagementRoutes } from './modules/sms/routes.js';
import { smsTemplateRoutes } from './modules/sms/templates/routes.js';
import { keyRoutes } from './modules/tenants/key-routes.js';
import { userRoutes } from './modules/users/routes.js';

/** Builds the HTTP app: mounts each surface behind its authentication. Does no I/O of its own. */
export async function buildApp(deps: Deps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Per-request lines come from the onResponse hook below, which keeps query strings out of the log.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: deps.config.bodyLimitBytes,
    // request.ip, which per-IP send limits count, is the socket's address unless a proxy is trusted.
    trustProxy: trustProxyOption(deps.config.trustProxy),
    // SDK users often configure apiUrl with a trailing slash, which yields `//users` (docs/wire-protocol.md §1.2).
    routerOptions: { ignoreDuplicateSlashes: true, ignoreTrailingSlash: true, maxParamLength: 512 },
    // Wrong types are an error, not something to coerce: `{"phoneNumber": true}` must be a 400.
    frameworkErrors: frameworkError,
    // Requests that Node's parser refuses, and absolute-form targets: Sigil's error body, one path form.
    clientErrorHandler: clientError,
    rewriteUrl: (req) => originForm(req.url ?? '/'),
    ajv: { customOptions: { coerceTypes: false, allErrors: false, allowUnionTypes: true } },
  });
  installJsonParser(app);
  installErrorHandling(app, deps.tenantService, deps.operatorAuth);
  // Before any route: it collects every route's contract into /openapi.json.
  await installOpenApi(app);
  // JSON without a charset parameter: the Python SDK only decodes an exact `application/json` (docs/wire-protocol.md §2).
  // Per-request hooks are callbacks, not async functions: no promise per request.
  app.addHook('onSend', (_req, reply, payload, done) => {
    const type = reply.getHeader('content-type');
    if (typeof type === 'string' && type.startsWith('application/json;'))
      reply.header('content-type', 'application/json');
    done(null, payload);
  });
  // One line per failed request; URLs are logged without their query, which can hold phone numbers.
  app.addHook('onResponse', (req, reply, done) => {
    // The route pattern, never the raw URL (which holds IDs); unmatched requests share one label.
    deps.metrics.httpRequest(
      req.routeOptions.url ?? 'unmatched',
      req.method,
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    if (reply.statusCode >= 400) {
      req.log.info({ method: req.method, path: req.url.split('?')[0], status: reply.statusCode }, 'request failed');
    }
    done();
  });

  await app.register(operationsRoutes, { deps });
  await app.register(metricsRoutes, { deps });
  await app.register(hostedUiRoutes, { deps });
  await app.register(portalUiRoutes, {});
  await app.register(
    async (v1) => {
      await v1.register(clientRoutes, { deps, prefix: '/client' });
      await v1.register(smsReceiptRoutes, { deps });
      await v1.register(portalRoutes, { deps, prefix: '/portal' });
      await v1.register(async (server) => {
        server.addHook('onRequest', requireApiKey(deps.tenantService, 'server'));
        await server.register(userRoutes, { deps });
        await server.register(challengeRoutes, { deps });
        await server.register(actionRoutes, { deps });
        await server.register(sessionRoutes, { deps });
      });
      await v1.register(
        async (management) => {
          managementAccess(management, deps);
          auditWrites(management, deps);
          await management.register(smsManagementRoutes, { deps });
          await management.register(challengeManagementRoutes, { deps });
          await management.register(limitsManagementRoutes, { deps });
          await management.register(limitsReportRoutes, { deps });
          await management.register(smsTemplateRoutes, { deps });
          await management.register(actionManagementRoutes, { deps });
          await management.register(ruleToolRoutes, { deps });
          await management.register(sessionClientRoutes, { deps });
          await management.register(auditLogRoutes, { deps });
          await management.register(keyRoutes, { deps });
          await management.register(teamRoutes, { deps });
          await management.register(activityRoutes, { deps });
          await management.register(reportingRoutes, { deps });
        },
        { prefix: '/management' },
      );
    },
    { prefix: '/v1' },
  );
  return app;
}

/** A hop count trusts that many proxies nearest the server (Fastify's types take it as a function). */
function trustProxyOption(
  trust: boolean | number | string[],
): boolean | string[] | ((_: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust;
}

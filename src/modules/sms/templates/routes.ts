import type { FastifyInstance } from 'fastify';
import type { Deps } from '../../../deps.js';
import { nonEmpty, object } from '../../../http/schemas.js';

const nullable = (type: string) => ({ type: [type, 'null'] }) as const;
const localeParams = object({ locale: nonEmpty(64) }, ['locale']);

/**
 * Management API: the tenant's SMS message templates and the settings around them. Every answer that
 * shows a template shows its encoding and segment count, measured on a rendered sample.
 */
export async function smsTemplateRoutes(app: FastifyInstance, { deps }: { deps: Deps }): Promise<void> {
  app.get('/sms-templates', (req) => deps.messages.view(req.tenantId));

  app.put(
    '/sms-templates',
    {
      schema: {
        body: object({
          appName: nullable('string'),
          webOtpDomain: nullable('string'),
          androidAppHash: nullable('string'),
          maxSegments: nullable('integer'),
          templates: { type: ['object', 'array', 'null'] },
        }),
      },
    },
    (req) => deps.messages.replace(req.tenantId, req.body),
  );

  app.put<{ Params: { locale: string }; Body: { text: string } }>(
    '/sms-templates/:locale',
    { schema: { params: localeParams, body: object({ text: { type: 'string' } }, ['text']) } },
    (req) => deps.messages.setTemplate(req.tenantId, req.params.locale, req.body.text),
  );

  app.delete<{ Params: { locale: string } }>('/sms-templates/:locale', { schema: { params: localeParams } }, (req) =>
    deps.messages.deleteTemplate(req.tenantId, req.params.locale),
  );
}

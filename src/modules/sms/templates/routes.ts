import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Deps } from '../../../deps.js';
import { Body, NonEmpty, Nullable, Opt, Params, Reply, responses, Str, Success } from '../../../http/contract.js';
import { MAX_APP_NAME_LENGTH, MAX_TEMPLATE_LENGTH, MAX_TEMPLATES, refuseUnknownFields } from './validate.js';

const tags = ['Management API'];
const security = [{ managementKey: [] }];

const LocaleParams = Params({ locale: NonEmpty(64) });

/** `templates` as a map of texts by locale, or as the list that GET answers (built-in entries are skipped). */
const Templates = Type.Union([
  Type.Record(Str(64), Str(MAX_TEMPLATE_LENGTH), { maxProperties: MAX_TEMPLATES }),
  Type.Array(Body({ locale: Str(64), text: Str(MAX_TEMPLATE_LENGTH), builtIn: Opt(Type.Boolean()) }), {
    maxItems: MAX_TEMPLATES + 1,
  }),
]);

/** The whole settings document. `null` or an absent field takes the server's default. */
const SettingsRequest = Body({
  appName: Opt(Str(MAX_APP_NAME_LENGTH)),
  webOtpDomain: Opt(Str(253)),
  androidAppHash: Opt(Str(11)),
  maxSegments: Opt(Type.Integer()),
  templates: Opt(Templates),
});

const TemplateView = Reply({
  locale: Type.String(),
  text: Type.String(),
  builtIn: Type.Boolean({ description: "The server's own default text, shown while the tenant has no default." }),
  preview: Type.String({ description: 'The message as sent, with a sample code' }),
  encoding: Type.String({ description: 'GSM-7 or UCS-2' }),
  segments: Type.Integer(),
  characters: Type.Integer(),
});

const SettingsView = Reply({
  appName: Type.String(),
  webOtpDomain: Nullable(Type.String()),
  androidAppHash: Nullable(Type.String()),
  maxSegments: Type.Integer(),
  templates: Type.Array(TemplateView),
});

/**
 * A misspelt field in a whole-document PUT must be a 400, not a silent reset to the default: checked
 * before validation, which strips undeclared fields.
 */
async function unknownFieldsRefused(request: FastifyRequest): Promise<void> {
  refuseUnknownFields(request.body);
}

/**
 * Management API: the tenant's SMS message templates and the settings around them. Every answer that
 * shows a template shows its encoding and segment count, measured on a rendered sample.
 */
export const smsTemplateRoutes: FastifyPluginAsyncTypebox<{ deps: Deps }> = async (app, { deps }) => {
  app.get(
    '/sms-templates',
    { config: { permission: 'config:read' }, schema: { tags, security, response: responses(SettingsView) } },
    (req) => deps.messageTemplates.view(req.tenantId),
  );

  app.put(
    '/sms-templates',
    {
      config: { permission: 'config:write' },
      preValidation: unknownFieldsRefused,
      schema: { tags, security, body: SettingsRequest, response: responses(SettingsView) },
    },
    (req) => deps.messageTemplates.replace(req.tenantId, req.body),
  );

  app.put(
    '/sms-templates/:locale',
    {
      config: { permission: 'config:write' },
      schema: {
        tags,
        security,
        params: LocaleParams,
        body: Body({ text: Str(MAX_TEMPLATE_LENGTH) }),
        response: responses(TemplateView),
      },
    },
    (req) => deps.messageTemplates.setTemplate(req.tenantId, req.params.locale, req.body.text),
  );

  app.delete(
    '/sms-templates/:locale',
    {
      config: { permission: 'config:write' },
      schema: { tags, security, params: LocaleParams, response: responses(Success) },
    },
    (req) => deps.messageTemplates.deleteTemplate(req.tenantId, req.params.locale),
  );
};

import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Deps } from '../../../deps.js';
import { Body, NonEmpty, Nullable, Opt, Params, Reply, responses, Str, Success } from '../../../http/contract.js';
import { previewTemplate } from './preview.js';
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
  charactersPerSegment: Type.Integer({ description: '160 or 70 in one segment, 153 or 67 per part once split' }),
});

/** Generous limits: a draft too long for PUT is previewed, and the problem listed in PUT's words. */
const PreviewRequest = Body({
  template: Str(10 * MAX_TEMPLATE_LENGTH),
  locale: Opt(Str(64)),
  appHash: Opt(Str(256)),
  webOtpDomain: Opt(Str(1024)),
});

const PreviewReply = Reply({
  text: Type.String({ description: 'The message as it would be sent, with the sample code' }),
  encoding: Type.Union([Type.Literal('GSM-7'), Type.Literal('UCS-2')]),
  segments: Type.Integer(),
  characters: Type.Integer({ description: 'In the units the limits count: GSM-7 septets or UTF-16 units' }),
  charactersPerSegment: Type.Integer(),
  maxSegments: Type.Integer(),
  lines: Reply({
    webOtp: Nullable(Type.String({ description: 'The last line, @<domain> #<code>, when webOtpDomain is set' })),
    appHash: Nullable(Type.String({ description: "Android's app hash line, when androidAppHash is set" })),
  }),
  sampleCode: Type.String(),
  errors: Type.Array(Reply({ message: Type.String() }), {
    description: 'Why PUT would refuse it; empty when it would not',
  }),
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

  app.post(
    '/sms-templates/preview',
    {
      config: { permission: 'config:read' },
      schema: {
        tags,
        security,
        description: 'A draft template rendered and measured as a send would be; nothing is saved.',
        body: PreviewRequest,
        response: responses(PreviewReply),
      },
    },
    (req) => previewTemplate(deps, req.tenantId, req.body),
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

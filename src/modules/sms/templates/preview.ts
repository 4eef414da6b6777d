import type { Config } from '../../../config.js';
import { ApiError } from '../../../errors.js';
import { composeFromTemplate, DEFAULT_LOCALE, type MessageSettings } from './render.js';
import { measure } from './segments.js';
import type { MessageSettingsService } from './settings.js';
import { parseAppHash, parseDomain, parseLocale, parseTemplateText, sampleVars, segmentsRefusal } from './validate.js';

export interface PreviewDeps {
  config: Readonly<Config>;
  messageTemplates: Pick<MessageSettingsService, 'get'>;
}

export interface PreviewRequest {
  template: string;
  locale?: string;
  /** Overrides the tenant's androidAppHash for this preview; empty means none. */
  appHash?: string;
  /** Overrides the tenant's webOtpDomain for this preview; empty means none. */
  webOtpDomain?: string;
}

/**
 * `POST /v1/management/sms-templates/preview`: a draft template as it would be sent, composed by the
 * renderer that sends use, with the sample code that saves are measured with, and measured like them.
 * Nothing is saved. Problems are listed (in the words PUT uses) rather than refused, so that the portal
 * can show them as the operator types; the text is rendered anyway, an unknown placeholder as written.
 */
export async function previewTemplate(deps: PreviewDeps, tenantId: string, req: PreviewRequest) {
  const errors: { message: string }[] = [];
  const check = <T>(step: () => T): T | undefined => {
    try {
      return step();
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      errors.push({ message: err.description });
      return undefined;
    }
  };
  const locale = req.locale === undefined ? DEFAULT_LOCALE : (check(() => parseLocale(req.locale)) ?? DEFAULT_LOCALE);
  check(() => parseTemplateText(locale, req.template));
  const tenant = await deps.messageTemplates.get(tenantId);
  const settings: MessageSettings = {
    ...tenant,
    androidAppHash: override(req.appHash, tenant.androidAppHash, (v) => check(() => parseAppHash(v))),
    webOtpDomain: override(req.webOtpDomain, tenant.webOtpDomain, (v) => check(() => parseDomain(v))),
  };
  const vars = sampleVars(deps.config);
  const text = composeFromTemplate(settings, req.template, vars);
  const measured = measure(text);
  const tooLong = segmentsRefusal({ locale, builtIn: false, ...measured }, settings, deps.config);
  if (tooLong) errors.push({ message: tooLong });
  return {
    text,
    ...measured,
    maxSegments: settings.maxSegments,
    lines: {
      webOtp: settings.webOtpDomain ? `@${settings.webOtpDomain} #${vars.code}` : null,
      appHash: settings.androidAppHash,
    },
    sampleCode: vars.code,
    errors,
  };
}

/** The request's value when given (empty: none; invalid: none, and listed), else the tenant's. */
function override(
  given: string | undefined,
  tenant: string | null,
  parse: (value: string) => string | undefined,
): string | null {
  if (given === undefined) return tenant;
  if (given === '') return null;
  return parse(given) ?? null;
}

import { Type } from '@sinclair/typebox';
import { maskSecret, normalisedBaseUrl } from './fields.js';
import { failureForStatus, jsonOf, outboundRequest } from './http.js';
import { type ProviderDefinition, SmsSendError } from './provider.js';
import { baseUrlField, checkConfig, configSchema, perRules, secret, text, typeField } from './schema.js';

export interface ModicaConfig {
  type: 'modica';
  applicationName: string;
  password: string;
  /** One of the application's short codes or numbers; Modica picks the default one when unset. */
  source?: string;
  baseUrl: string;
}

const LABEL = 'Modica';
const DEFAULT_BASE_URL = 'https://api.modicagroup.com';

const schema = perRules((rules) =>
  configSchema('Modica', "Modica's Mobile Gateway REST API v1. No delivery receipts.", {
    type: typeField('modica'),
    applicationName: text({
      title: 'Application name',
      description: 'The Mobile Gateway application name, sent as the Basic user name.',
      pattern: '^[^:\\r\\n]+$',
      hint: 'the Mobile Gateway application name, without a colon',
    }),
    password: secret({
      title: 'Password',
      description: "The application's password.",
      pattern: '^[^\\r\\n]+$',
      hint: 'one line',
    }),
    source: Type.Optional(
      text({
        title: 'Source',
        description: "One of the application's short codes or numbers. Default: the application's.",
        pattern: '^\\+?[1-9][0-9]{2,14}$',
        hint: 'a short code or number of the Modica application',
      }),
    ),
    baseUrl: Type.Optional(baseUrlField('modica', DEFAULT_BASE_URL, rules)),
  }),
);

/**
 * Modica Mobile Gateway REST API v1: a JSON POST to /rest/gateway/messages, Basic auth with the
 * application name and password; 201 with a bare array holding the integer message id.
 *
 * No readReceipt: Modica posts DLRs to a callback configured on the application, and its payload is
 * not documented anywhere we could find (sms-providers.md §6, §9), so sends are tracked as accepted only.
 */
export const modicaProvider: ProviderDefinition<ModicaConfig> = {
  type: 'modica',
  title: 'Modica',
  schema: (rules) => schema(rules),
  parse(raw, rules) {
    const c = checkConfig(schema(rules), raw, 'modica') as Omit<ModicaConfig, 'baseUrl'> & { baseUrl?: string };
    return { ...c, baseUrl: normalisedBaseUrl(c.baseUrl, DEFAULT_BASE_URL) };
  },
  mask: (c) => ({ ...c, password: maskSecret(c.password) }),
  create(c, ctx) {
    const url = new URL(`${c.baseUrl}/rest/gateway/messages`);
    const authorization = `Basic ${Buffer.from(`${c.applicationName}:${c.password}`).toString('base64')}`;
    return {
      type: 'modica',
      async send(message, { signal }) {
        const body: Record<string, string> = {
          destination: message.to,
          content: message.body,
          reference: message.challengeId,
        };
        // `source` and `class` exclude each other: only `source` is ever sent.
        if (c.source) body.source = c.source;
        const res = await outboundRequest({
          url,
          headers: {
            authorization,
            'content-type': 'application/json',
            accept: 'application/json',
            'user-agent': 'sigil',
          },
          body: JSON.stringify(body),
          signal,
          policy: ctx.policy,
          label: LABEL,
        });
        const answer = jsonOf(res);
        if (res.status >= 200 && res.status < 300) {
          const id = Array.isArray(answer) ? answer[0] : undefined;
          if (Number.isInteger(id) || (typeof id === 'string' && /^\d+$/.test(id))) {
            return { providerMessageId: String(id) };
          }
          throw new SmsSendError('retryable', 'bad_response', `${LABEL} answered ${res.status} without a message id`);
        }
        const detail = res.text.slice(0, 200).trim();
        if (res.status === 404) {
          throw new SmsSendError('route', 'misconfigured', `${LABEL} answered HTTP 404: check the base URL`);
        }
        const byStatus = failureForStatus(res, LABEL, ctx.now(), detail);
        if (res.status !== 400 && res.status !== 422) throw byStatus;
        // The error envelope is not documented: the status decides first, then any error code in the body.
        const code = /\b(send_failed|invalid_json|missing_attrib|invalid_attrib|broadcast_limit)\b/.exec(res.text)?.[1];
        if (code === 'send_failed') {
          throw new SmsSendError('retryable', 'send_failed', `${LABEL} could not send the message: ${detail}`);
        }
        if ((code === 'invalid_attrib' || code === 'missing_attrib') && /destination/i.test(res.text)) {
          throw new SmsSendError('number', 'invalid_number', `${LABEL} refused the destination: ${detail}`);
        }
        throw byStatus;
      },
    };
  },
};

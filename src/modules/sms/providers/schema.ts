import { type TObject, type TProperties, type TSchema, type TString, Type } from '@sinclair/typebox';
import { ValueErrorType } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';
import { invalidRequest } from '../../../errors.js';
import type { ParseRules } from './provider.js';

/**
 * Each provider's config is one TypeBox schema: `parseProviderConfig` validates with it, and
 * `GET /v1/management/sms-providers/schemas` publishes it, so the portal's form and the API cannot
 * disagree. Only plain JSON Schema keywords are used (TypeBox checks them; any JSON Schema validator
 * reads them alike): `type`, `const`, `pattern`, `minLength`, `maxLength`, `required`, and at the top
 * `anyOf` of `required` lists. `title` and `description` label the form; `writeOnly` marks a secret.
 */

/**
 * Why a value failed its pattern, for the error message. A symbol member: TypeBox copies it when it
 * wraps a schema (Type.Optional clones), and JSON leaves it out of the published schema.
 */
const HINT = Symbol('sigil.hint');
type Hint = string | ((value: string) => string);

interface FieldOptions {
  title: string;
  description: string;
  pattern?: string;
  maxLength?: number;
  /** Said after "is not valid: " when the pattern or length refuses a value, or a diagnosis of the value. */
  hint?: string | ((value: string) => string);
  examples?: string[];
}

function field(options: FieldOptions, secret: boolean): TString {
  const { hint, examples, maxLength = 512, ...rest } = options;
  const schema = Type.String({
    ...rest,
    minLength: 1,
    maxLength,
    ...(examples ? { examples } : {}),
    ...(secret ? { writeOnly: true } : {}),
  });
  if (hint) (schema as TString & { [HINT]?: Hint })[HINT] = hint;
  return schema;
}

/** A plain text field. */
export const text = (options: FieldOptions) => field(options, false);
/** A credential: never shown again (masked in answers), and left blank to keep the stored one. */
export const secret = (options: FieldOptions) => field(options, true);

/** The `type` member that names the provider. */
export const typeField = (type: string) => Type.Literal(type, { title: 'Provider type' });

/** A provider's whole config schema; extra members are ignored (and not stored). */
export function configSchema(title: string, description: string, properties: TProperties, extra = {}): TObject {
  return Type.Object(properties, { title, description, ...extra });
}

// Hosts that the URL parser always accepts as written: DNS names whose last label starts with a letter
// (a numeric last label would be parsed as an IPv4 address), dotted-quad IPv4, and the IPv6 loopback.
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const TOP_LABEL = '[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';
const HOST = `(?:(?:${LABEL}\\.)*${TOP_LABEL}|${OCTET}(?:\\.${OCTET}){3}|\\[::1\\])`;
const PORT = '(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?';
const PATH = "(?:/[A-Za-z0-9._~!$&'()*+,;=:@%-]*)*";
const LOOPBACK = '(?:localhost|127\\.0\\.0\\.1|\\[::1\\])';

/**
 * A vendor's API base URL: https, no credentials, query or fragment; plain http only on a loopback
 * host where loopback is allowed (local fakes, development).
 */
export function baseUrlField(type: string, fallback: string, rules: ParseRules): TString {
  const https = `https://${HOST}${PORT}${PATH}`;
  const pattern = rules.allowLoopback ? `^(?:${https}|http://${LOOPBACK}${PORT}${PATH})$` : `^${https}$`;
  return text({
    title: 'API base URL',
    description: `Only to reach a regional host or a test double. Default ${fallback}.`,
    pattern,
    maxLength: 2048,
    hint: (value) => diagnoseUrl(type, value, rules),
    examples: [fallback],
  });
}

/** Says why a base URL was refused, in the words the API always used. The schema alone decides validity. */
function diagnoseUrl(type: string, value: string, rules: ParseRules): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'a URL such as https://api.example.com';
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback && rules.allowLoopback))
    return `${type}.baseUrl must use https`;
  if (url.username || url.password || url.search || url.hash)
    return `${type}.baseUrl must not carry credentials, a query or a fragment`;
  return 'an https URL of a host name, without credentials, a query or a fragment';
}

/** A URL to post to: http or https, to a host name, an IPv4 address or [::1]; credentials and a query allowed. */
export const WEBHOOK_URL_PATTERN = `^https?://(?:[A-Za-z0-9._~!$&'()*+,;=:%-]*@)?${HOST}${PORT}(?:[/?#]\\S*)?$`;

/**
 * Validates a provider config against its schema and returns the declared members only. Before that,
 * a member that is null or the empty string is dropped: a blank form field means "not set". Errors name
 * the provider and the field (`twilio.accountSid is not valid: AC followed by 32 hex digits`).
 */
export function checkConfig(schema: TObject, raw: Record<string, unknown>, type: string): Record<string, unknown> {
  // The registry chose the definition by `type`, so a direct call may leave it out.
  const value: Record<string, unknown> = { type };
  for (const key of Object.keys(schema.properties)) {
    if (key === 'type') continue;
    const member = raw[key];
    if (member !== undefined && member !== null && member !== '') value[key] = member;
  }
  // The top-level anyOf (one of several fields is required) first, as the API always checked it first.
  const alternatives = (schema.anyOf ?? []) as { required: string[] }[];
  if (alternatives.length > 0 && !alternatives.some((a) => a.required.every((k) => k in value))) {
    const names = alternatives.map((a) => a.required.map((k) => `${type}.${k}`).join(' and '));
    throw invalidRequest(`${names.join(' or ')} is required`);
  }
  const error = Value.Errors(schema, value).First();
  if (error) throw invalidRequest(describe(error.type, error.schema, error.path, error.value, type));
  return value;
}

function describe(kind: ValueErrorType, schema: TSchema, path: string, value: unknown, type: string): string {
  const name = `${type}.${path.replace(/^\//, '')}`;
  if (kind === ValueErrorType.ObjectRequiredProperty) return `${name} is required`;
  if (kind === ValueErrorType.String || typeof value !== 'string') return `${name} must be a string`;
  if (kind === ValueErrorType.StringMaxLength) return `${name} is too long`;
  const hint = (schema as TSchema & { [HINT]?: Hint })[HINT];
  const said = typeof hint === 'function' ? hint(value) : hint;
  // A diagnosis may be a whole sentence that already names the field.
  if (said?.startsWith(`${name} `)) return said;
  return `${name} is not valid${said ? `: ${said}` : ''}`;
}

/** The names of a schema's secret fields (`writeOnly`). */
export function secretFieldsOf(schema: TObject): string[] {
  return Object.entries(schema.properties)
    .filter(([, s]) => (s as { writeOnly?: boolean }).writeOnly === true)
    .map(([k]) => k);
}

/** Builds each rules' schema once, not on every parse. */
export function perRules<T>(build: (rules: ParseRules) => T): (rules: ParseRules) => T {
  const built = new Map<string, T>();
  return (rules) => {
    const key = `${rules.production}:${rules.allowLoopback}`;
    let schema = built.get(key);
    if (!schema) {
      schema = build(rules);
      built.set(key, schema);
    }
    return schema;
  };
}

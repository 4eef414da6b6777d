import { type Static, type TObject, type TProperties, type TSchema, Type } from '@sinclair/typebox';

/**
 * Building blocks of the route contracts. Every route declares its body, params, query and response
 * with these, once: Fastify's Ajv validates requests against them, the TypeBox type provider derives
 * the handler's types from them, fast-json-stringify serialises (and filters) responses with them, and
 * @fastify/swagger publishes them as /openapi.json.
 *
 * Rules that hold by construction:
 * - strings never hold NUL: PostgreSQL refuses it in text, so it must be a 400, not a 500;
 * - request objects strip undeclared fields (`additionalProperties: false` with Ajv's
 *   `removeAdditional`): newer SDKs add fields, and nothing undeclared may reach a handler;
 * - an optional field also accepts `null`, which means absent: the Go SDK sends unset fields as `null`.
 *   The JSON parser drops null members before validation (src/http/json.ts), except top-level members
 *   declared `Clearable`, whose null clears a value (updateUser's attributes, management settings).
 */

const NO_NUL = '^[^\\u0000]*$';

/** A string of at most `maxLength` characters, without NUL. */
export const Str = (maxLength = 255) => Type.String({ maxLength, pattern: NO_NUL });
/** A non-empty string of at most `maxLength` characters, without NUL. */
export const NonEmpty = (maxLength = 255) => Type.String({ minLength: 1, maxLength, pattern: NO_NUL });

/** Marks the members whose `null` the JSON parser keeps, because it clears the value. */
export const CLEARABLE = Symbol('sigil.clearable');

function orNull(schema: TSchema): Record<string, unknown> {
  return typeof schema.type === 'string'
    ? { ...schema, type: [schema.type, 'null'] }
    : { anyOf: [schema, { type: 'null' }] };
}

/** An optional member that may also be sent as `null`, which means absent. Its type stays `T | undefined`. */
export function Opt<T extends TSchema>(schema: T) {
  return Type.Optional(Type.Unsafe<Static<T>>(orNull(schema)));
}

/**
 * An optional top-level member whose `null` clears the value (`updateUser {email: null}`): the parser
 * keeps this null, so the handler's type includes it.
 */
export function Clearable<T extends TSchema>(schema: T) {
  return Type.Optional(Type.Unsafe<Static<T> | null>({ ...orNull(schema), [CLEARABLE]: true }));
}

/** The members of a body schema whose null is kept: those declared `Clearable`. */
export function clearableMembers(schema: unknown): ReadonlySet<string> {
  const properties = (schema as { properties?: Record<string, Record<symbol, unknown>> } | undefined)?.properties;
  if (!properties) return NONE;
  const names = Object.keys(properties).filter((name) => properties[name]?.[CLEARABLE] === true);
  return names.length > 0 ? new Set(names) : NONE;
}

const NONE: ReadonlySet<string> = new Set();

/** A request object: undeclared members are removed before the handler sees it. */
export const Body = <P extends TProperties>(properties: P, description?: string): TObject<P> =>
  Type.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) });

/** Path parameters and query strings are strict objects too. */
export const Params = Body;
export const Query = Body;

/** A response value that may be null. */
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** A response object: members not declared here are not serialised, so no internal column leaks. */
export const Reply = <P extends TProperties>(properties: P): TObject<P> => Type.Object(properties);

/** A free-form JSON object (rule conditions, custom data), passed through as it is. */
export const AnyObject = (description?: string) =>
  Type.Record(Type.String(), Type.Unknown(), description ? { description } : {});

/** `custom` data points: a flat object of strings, numbers and booleans. */
export const CustomData = () =>
  Type.Record(Type.String({ pattern: '^[^\\u0000]{1,128}$' }), Type.Union([Str(1024), Type.Number(), Type.Boolean()]), {
    maxProperties: 100,
    // Keys outside the pattern (empty, longer than 128, NUL) are not custom data points: stripped.
    additionalProperties: false,
  });

/** Every error answer: the three fields every SDK reads one of. */
export const ErrorBody = Type.Object(
  { error: Type.String(), errorCode: Type.String(), errorDescription: Type.String() },
  { $id: 'ErrorBody', description: 'Every error: error and errorCode hold the code, errorDescription the text.' },
);

/** The success schema of a route plus the error shape for every 4xx and 5xx, as OpenAPI lists them. */
export function responses<T extends TSchema>(ok: T) {
  return { 200: ok, '4xx': ErrorBody, '5xx': ErrorBody };
}

/** `{success: true}`, the answer to deletes and revocations. */
export const Success = Reply({ success: Type.Boolean() });

/** ISO 8601 timestamps, as the SDKs read them. */
export const IsoDate = () => Type.String({ format: 'date-time' });

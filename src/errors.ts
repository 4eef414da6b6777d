/**
 * One catalogue of error codes. Every error body on the wire is
 * `{"error": code, "errorCode": code, "errorDescription": text}`: the node SDK reads `error`,
 * Go and Python read `errorCode`, the browser SDK needs `error` present (docs/wire-protocol.md §3).
 * Each code has one status (never overridden at a throw site), a one-line meaning for docs/errors.md
 * (`npm run docs:errors` writes it from here) and the description sent when a throw site gives none.
 */
export interface CatalogueEntry {
  status: number;
  meaning: string;
  message: string;
}

export const errorCatalogue = {
  invalid_request: {
    status: 400,
    meaning: 'The request is malformed or a field is not valid; the description names the field.',
    message: 'The request is not valid.',
  },
  unauthorized: {
    status: 401,
    meaning: 'The API key, Client API token or receipt URL is missing or not valid.',
    message: 'The request is unauthorized. Check that your API key and region base URL are correctly configured.',
  },
  expired_token: {
    status: 401,
    meaning: 'A token that was valid has expired; obtain a new one.',
    message: 'The token has expired.',
  },
  invalid_token: {
    status: 401,
    meaning: 'A session access or refresh token that is not (or no longer) valid; `unauthorized` means a bad API key.',
    message: 'The token is invalid.',
  },
  forbidden: {
    status: 403,
    meaning: 'The caller is known but may not do this, for example complete an action that is closed.',
    message: 'This request is not allowed.',
  },
  reauthentication_required: {
    status: 403,
    meaning:
      'A destructive Management API call from the portal needs the operator password or TOTP code first (POST /v1/portal/reauthenticate).',
    message: 'Confirm your password or authenticator code first.',
  },
  not_found: {
    status: 404,
    meaning: 'No route, or no resource with the given ID, exists for this tenant.',
    message: 'The resource does not exist.',
  },
  method_not_allowed: {
    status: 405,
    meaning: 'The route exists but not with this HTTP method.',
    message: 'This method is not allowed on this route.',
  },
  conflict: {
    status: 409,
    meaning: 'The request conflicts with the current state (already exists, changed meanwhile).',
    message: 'The request conflicts with the current state. Try again.',
  },
  action_not_in_review: {
    status: 409,
    meaning: 'A review decision for an action that is no longer REVIEW_REQUIRED (decided or changed meanwhile).',
    message: 'This action is not awaiting review.',
  },
  payload_too_large: {
    status: 413,
    meaning: 'The request body is over the size limit.',
    message: 'The request body is too large.',
  },
  unsupported_media_type: {
    status: 415,
    meaning: 'The request body is not sent as application/json.',
    message: 'Send the request body as application/json.',
  },
  too_many_requests: {
    status: 429,
    meaning: 'A rate or send limit was reached; the description says which and when to retry.',
    message: 'Too many requests. Try again later.',
  },
  internal_error: {
    status: 500,
    meaning: 'An unexpected error; it is logged with its cause, and the body reveals nothing.',
    message: 'An unexpected error occurred. It has been logged.',
  },
  invalid_configuration: {
    status: 400,
    meaning: "The tenant's configuration cannot serve the request, for example no SMS provider is configured.",
    message: 'The tenant is not configured for this request.',
  },
  sms_delivery_failed: {
    status: 502,
    meaning: 'Every SMS provider tried failed to accept the message; the description lists why.',
    message: 'The code could not be delivered.',
  },
  service_unavailable: {
    status: 503,
    meaning: 'A dependency of the server, such as its database, is unreachable (the readiness check).',
    message: 'The service is unavailable. Try again later.',
  },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof errorCatalogue;

export class ApiError extends Error {
  readonly status: number;
  readonly description: string;
  /** Sent as `Retry-After` (whole seconds): when a refused request may succeed again. */
  readonly retryAfterSeconds: number | undefined;
  constructor(
    readonly code: ErrorCode,
    description?: string,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    const text = description ?? errorCatalogue[code].message;
    super(text, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.description = text;
    this.status = errorCatalogue[code].status;
    this.retryAfterSeconds =
      options?.retryAfterSeconds === undefined ? undefined : Math.max(1, Math.ceil(options.retryAfterSeconds));
  }

  toBody(): ErrorBody {
    return errorBody(this.code, this.description);
  }
}

export interface ErrorBody {
  error: string;
  errorCode: string;
  errorDescription: string;
}

export function errorBody(code: string, description: string): ErrorBody {
  return { error: code, errorCode: code, errorDescription: description };
}

export const invalidRequest = (description: string, options?: { cause?: unknown }) =>
  new ApiError('invalid_request', description, options);
export const notFound = (description: string) => new ApiError('not_found', description);
/** The 404 of every route that takes a `challengeId`. */
export const challengeNotFound = () => notFound('No challenge with this challengeId exists');

export const UNAUTHORIZED_DESCRIPTION = errorCatalogue.unauthorized.message;

/**
 * One catalogue of error codes. Every error body on the wire is
 * `{"error": code, "errorCode": code, "errorDescription": text}`: the node SDK reads `error`,
 * Go and Python read `errorCode`, the browser SDK needs `error` present (docs/wire-protocol.md §3).
 */
export const errorCatalogue = {
  invalid_request: 400,
  unauthorized: 401,
  expired_token: 401,
  /** A session access or refresh token that is not (or no longer) valid; `unauthorized` means a bad API key. */
  invalid_token: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  too_many_requests: 429,
  internal_error: 500,
  invalid_configuration: 500,
  sms_delivery_failed: 502,
  service_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorCatalogue;

export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    readonly description: string,
    status?: number,
  ) {
    super(description);
    this.name = 'ApiError';
    this.status = status ?? errorCatalogue[code];
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

export const invalidRequest = (description: string) => new ApiError('invalid_request', description);
export const notFound = (description: string) => new ApiError('not_found', description);

export const UNAUTHORIZED_DESCRIPTION =
  'The request is unauthorized. Check that your API key and region base URL are correctly configured.';

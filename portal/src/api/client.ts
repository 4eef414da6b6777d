/**
 * The portal's one way to call Sigil. It sends the session cookie (same origin), the CSRF token on
 * state-changing calls and the chosen tenant on Management API calls; turns error bodies into readable
 * messages; sends an expired session back to sign-in; and, when a destructive route answers
 * `reauthentication_required`, asks for the password or code once and retries.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface ClientState {
  csrfToken?: string | undefined;
  tenantId?: string | undefined;
  /** Opens the re-authentication dialog; true once the operator confirmed, false when they cancel. */
  reauthenticate?: () => Promise<boolean>;
  /** The session ended (expired or revoked): back to sign-in. */
  onSessionEnded?: () => void;
}

const state: ClientState = {};

export function configureClient(patch: Partial<ClientState>): void {
  Object.assign(state, patch);
}

export const currentTenant = (): string | undefined => state.tenantId;

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Readable text for an error body `{error, errorCode, errorDescription}`, or for anything else. */
export function describeError(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

async function send(method: string, path: string, body: unknown): Promise<Response> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (STATE_CHANGING.has(method) && state.csrfToken) headers['x-csrf-token'] = state.csrfToken;
  if (path.startsWith('/v1/management') && state.tenantId) headers['x-sigil-tenant'] = state.tenantId;
  return fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function toError(response: Response): Promise<ApiError> {
  let code = `http_${response.status}`;
  let message = `The server answered ${response.status} ${response.statusText}.`;
  try {
    const body = (await response.json()) as { errorCode?: string; error?: string; errorDescription?: string };
    code = body.errorCode ?? body.error ?? code;
    message = body.errorDescription ?? body.error ?? message;
  } catch {
    // Not JSON (a proxy's error page, say): keep the status line.
  }
  if (response.status === 429) {
    const after = response.headers.get('retry-after');
    if (after) message = `${message} Try again in ${after} seconds.`;
  }
  return new ApiError(response.status, code, message);
}

/** Paths whose 401 is an answer (wrong password, no session yet), not an ended session. */
const SIGN_IN_PATHS = ['/v1/portal/me', '/v1/portal/sign-in', '/v1/portal/links', '/v1/portal/reauthenticate'];

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let response = await send(method, path, body);
  if (response.status === 403 && state.reauthenticate) {
    const error = await toError(response.clone());
    if (error.errorCode === 'reauthentication_required') {
      if (!(await state.reauthenticate())) throw error;
      response = await send(method, path, body);
    }
  }
  if (!response.ok) {
    const error = await toError(response);
    if (response.status === 401 && !SIGN_IN_PATHS.some((p) => path.startsWith(p))) state.onSessionEnded?.();
    throw error;
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body: unknown = {}) => request<T>('POST', path, body),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  delete: <T>(path: string) => request<T>('DELETE', path),
};

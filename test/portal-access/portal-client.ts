import { Secret, TOTP } from 'otpauth';
import type { Role } from '../../src/modules/operators/roles.js';
import type { TestServer } from '../helpers/server.js';

/** A browser's view of the portal: it keeps the session cookie and sends the CSRF token it was given. */
export interface PortalResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RequestOptions {
  body?: unknown;
  /** Send X-CSRF-Token: the client's own (default), a given one, or none (false). */
  csrf?: string | false;
  tenant?: string;
  headers?: Record<string, string>;
}

export class PortalClient {
  cookie: string | undefined;
  csrfToken: string | undefined;
  readonly cookieName: string;

  constructor(
    readonly baseUrl: string,
    cookieName = 'sigil_portal',
  ) {
    this.cookieName = cookieName;
  }

  // biome-ignore lint/suspicious/noExplicitAny: test bodies are read loosely.
  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<PortalResponse<T>> {
    const headers: Record<string, string> = { ...(options.headers ?? {}) };
    if (this.cookie) headers.cookie = `${this.cookieName}=${this.cookie}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const csrf = options.csrf === undefined ? this.csrfToken : options.csrf;
    if (csrf && method !== 'GET') headers['x-csrf-token'] = csrf;
    if (options.tenant) headers['x-sigil-tenant'] = options.tenant;
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, value] = (pair ?? '').split('=');
      if (name !== this.cookieName) continue;
      this.cookie = value && !/Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(line) ? value : undefined;
    }
    const text = await res.text();
    const body = (text ? JSON.parse(text) : undefined) as T;
    const token = (body as { csrfToken?: unknown } | undefined)?.csrfToken;
    if (res.ok && typeof token === 'string') this.csrfToken = token;
    return { status: res.status, body, headers: res.headers };
  }

  signIn(email: string, password: string) {
    return this.request<{ status: string; csrfToken: string }>('POST', '/v1/portal/sign-in', {
      body: { email, password },
    });
  }

  me() {
    return this.request('GET', '/v1/portal/me');
  }

  management(method: string, path: string, tenant: string, body?: unknown) {
    return this.request(method, `/v1/management${path}`, { tenant, ...(body !== undefined ? { body } : {}) });
  }
}

export const PASSWORD = 'correct horse battery staple';

let seq = 0;
export function uniqueEmail(label = 'op'): string {
  seq += 1;
  return `${label}-${Date.now()}-${seq}@example.com`;
}

/** An operator of `tenantId` with `role`, created the way `sigil admin create --password-stdin` does. */
export async function createOperator(
  t: TestServer,
  role: Role,
  tenantId = t.tenant.tenantId,
  email = uniqueEmail(role),
) {
  const { provisionOperator } = await import('../../src/modules/operators/accounts.js');
  const made = await provisionOperator(t.server.deps.operators, { email, password: PASSWORD, tenantId, role });
  return { ...made, password: PASSWORD };
}

/** A signed-in portal client for a new operator with `role`. */
export async function signedIn(t: TestServer, role: Role, tenantId = t.tenant.tenantId) {
  const operator = await createOperator(t, role, tenantId);
  const client = new PortalClient(t.server.url);
  const res = await client.signIn(operator.email, operator.password);
  if (res.status !== 200 || res.body.status !== 'signed_in') {
    throw new Error(`sign-in failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return { client, operator };
}

/** The code an authenticator app would show for `secret` at `now`. */
export function totpCode(secret: string, now: number, stepOffset = 0): string {
  return new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({
    timestamp: now + stepOffset * 30_000,
  });
}

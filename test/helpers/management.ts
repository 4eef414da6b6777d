/**
 * A small client for the Management API's action configurations and rules (Basic auth with the
 * management secret key, empty password), so that tests can set up rules without repeating fetch calls.
 */

export type Outcome = 'ALLOW' | 'CHALLENGE' | 'REVIEW' | 'BLOCK';

export interface ConfigView {
  tenantId: string;
  actionCode: string;
  defaultUserActionResult: Outcome;
  createdAt: string;
  updatedAt: string;
  [setting: string]: unknown;
}

export interface RuleInput {
  name: string;
  type: Outcome | string;
  priority?: number;
  isActive?: boolean;
  description?: string;
  conditions: unknown;
  [setting: string]: unknown;
}

export interface RuleView {
  ruleId: string;
  tenantId: string;
  actionCode: string;
  name: string;
  description?: string;
  isActive: boolean;
  priority: number;
  type: Outcome;
  conditions: unknown;
  createdAt: string;
  updatedAt: string;
}

/** Every field an answer of the Management API can have: a config, a rule, a list, or an error body. */
export type ManagementBody = Partial<ConfigView> &
  Partial<RuleView> & {
    error?: string;
    errorCode?: string;
    errorDescription?: string;
    success?: boolean;
  };

export interface ManagementResponse<T = ManagementBody> {
  status: number;
  body: T;
}

export interface ManagementClient {
  request<T = ManagementBody>(method: string, path: string, body?: unknown): Promise<ManagementResponse<T>>;
  /** Creates a configuration; fails the test unless the server answers 200. */
  createConfig(actionCode: string, defaultUserActionResult?: Outcome): Promise<ConfigView>;
  /** Creates a rule on an existing configuration; fails the test unless the server answers 200. */
  createRule(actionCode: string, rule: RuleInput): Promise<RuleView>;
}

/**
 * `apiUrl` is the SDK's apiUrl (with /v1); `base` is the collection's spelling, `/action-configurations`
 * unless a test checks the underscore spelling.
 */
export function management(apiUrl: string, managementKey: string, base = '/action-configurations'): ManagementClient {
  const authorization = `Basic ${Buffer.from(`${managementKey}:`).toString('base64')}`;
  const client: ManagementClient = {
    async request<T>(method: string, path: string, body?: unknown) {
      const res = await fetch(`${apiUrl}/management${base}${path}`, {
        method,
        headers: {
          authorization,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
    },
    async createConfig(actionCode, defaultUserActionResult = 'ALLOW') {
      const res = await client.request<ConfigView>('POST', '', { actionCode, defaultUserActionResult });
      if (res.status !== 200) throw new Error(`createConfig ${actionCode}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
    async createRule(actionCode, rule) {
      const res = await client.request<RuleView>('POST', `/${actionCode}/rules`, rule);
      if (res.status !== 200) throw new Error(`createRule ${actionCode}: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body;
    },
  };
  return client;
}

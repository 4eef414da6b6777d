import { notFound } from '../../errors.js';
import type { Clock } from '../../lib/clock.js';
import type { Random } from '../../lib/random.js';
import { clientLifetimes, clientView, type SessionClientInput, type SessionClientView } from './sessions.js';
import type { SessionStore } from './store.js';

/** Session clients: each app (web, iOS, ...) that holds sessions, with its own token lifetimes. */
export class SessionClients {
  constructor(
    private readonly store: SessionStore,
    private readonly clock: Clock,
    private readonly random: Random,
  ) {}

  async create(tenantId: string, input: SessionClientInput): Promise<SessionClientView> {
    const { access, refresh } = clientLifetimes(input);
    const row = {
      id: this.random.uuid(),
      tenant_id: tenantId,
      name: input.name.trim(),
      access_ttl_seconds: access,
      refresh_ttl_seconds: refresh,
      created_at: this.clock.now(),
    };
    await this.store.insertClient(row);
    return clientView(row);
  }

  async list(tenantId: string): Promise<SessionClientView[]> {
    return (await this.store.clients(tenantId)).map(clientView);
  }

  async get(tenantId: string, clientId: string): Promise<SessionClientView> {
    const row = await this.store.client(tenantId, clientId);
    if (!row) throw notFound('No session client with this clientId exists');
    return clientView(row);
  }

  /** Deleting a client ends its sessions: their access tokens stop validating and refresh tokens stop working. */
  async delete(tenantId: string, clientId: string): Promise<{ success: true }> {
    if (!(await this.store.deleteClient(tenantId, clientId))) {
      throw notFound('No session client with this clientId exists');
    }
    return { success: true };
  }
}

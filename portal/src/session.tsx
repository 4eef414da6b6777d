import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { ROLE_PERMISSIONS } from '../../src/modules/operators/roles.js';
import { ApiError, api, configureClient } from './api/client';
import type { Me, Membership, Permission } from './api/types';

interface Session {
  me: Me | null;
  loading: boolean;
  membership: Membership | undefined;
  selectTenant(tenantId: string): void;
  /** Reads /me again (after sign-in, MFA, enrolment); resolves with the new answer. */
  refresh(): Promise<Me | null>;
  may(permission: Permission): boolean;
}

const SessionContext = createContext<Session | undefined>(undefined);
const TENANT_KEY = 'sigil.portal.tenant';

async function fetchMe(): Promise<Me | null> {
  try {
    return await api.get<Me>('/v1/portal/me');
  } catch (err) {
    // No session (401), or a server without the portal's session routes yet (404).
    if (err instanceof ApiError && (err.status === 401 || err.status === 404)) return null;
    throw err;
  }
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  const query = useQuery({ queryKey: ['me'], queryFn: fetchMe, staleTime: 60_000, retry: false });
  const me = query.data ?? null;
  const [chosen, setChosen] = useState<string | null>(() => localStorage.getItem(TENANT_KEY));
  const membership = me?.memberships.find((m) => m.tenantId === chosen) ?? me?.memberships[0];

  // Set before children render their queries, so every call carries the token and the tenant.
  configureClient({ csrfToken: me?.csrfToken, tenantId: membership?.tenantId });

  const refresh = useCallback(async () => {
    const fresh = await fetchMe();
    client.setQueryData(['me'], fresh);
    configureClient({ csrfToken: fresh?.csrfToken });
    return fresh;
  }, [client]);

  useEffect(() => {
    configureClient({
      onSessionEnded: () => {
        client.setQueryData(['me'], null);
        client.removeQueries({ queryKey: ['api'] });
        if (!location.hash.startsWith('#/sign-in')) location.hash = '#/sign-in?expired=1';
      },
    });
  }, [client]);

  // At the idle deadline, ask again: an expired session answers 401 and the portal goes to sign-in.
  useEffect(() => {
    if (!me) return;
    const wait = Date.parse(me.session.idleExpiresAt) - Date.now() + 1_000;
    if (!Number.isFinite(wait)) return;
    const timer = setTimeout(() => void refresh(), Math.max(wait, 1_000));
    return () => clearTimeout(timer);
  }, [me, refresh]);

  const value = useMemo<Session>(
    () => ({
      me,
      loading: query.isPending,
      membership,
      selectTenant(tenantId) {
        localStorage.setItem(TENANT_KEY, tenantId);
        setChosen(tenantId);
        configureClient({ tenantId });
        client.removeQueries({ queryKey: ['api'] });
      },
      refresh,
      may: (permission) => (membership ? ROLE_PERMISSIONS[membership.role].includes(permission) : false),
    }),
    [me, query.isPending, membership, client, refresh],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

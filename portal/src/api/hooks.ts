import { type QueryKey, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, currentTenant, request } from './client';

/** Query keys carry the tenant, so switching tenants never shows another tenant's cached data. */
export const tenantKey = (path: string): QueryKey => ['api', currentTenant() ?? '-', path];

/** GET `path` (null: not yet). */
export function useApiQuery<T>(path: string | null, options: { refetchInterval?: number } = {}) {
  return useQuery({
    queryKey: tenantKey(path ?? ''),
    queryFn: () => api.get<T>(path as string),
    enabled: path !== null,
    ...options,
  });
}

/**
 * A write; on success every query whose path starts with one of `invalidates` is fetched again.
 */
export function useApiMutation<TVars, TResult = unknown>(
  call: (vars: TVars) => { method: string; path: string; body?: unknown },
  invalidates: string[] = [],
) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (vars: TVars) => {
      const { method, path, body } = call(vars);
      return request<TResult>(method, path, body);
    },
    onSuccess: () =>
      client.invalidateQueries({
        predicate: (q) =>
          q.queryKey[0] === 'api' && invalidates.some((prefix) => String(q.queryKey[2]).startsWith(prefix)),
      }),
  });
}

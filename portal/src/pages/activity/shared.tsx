import { Badge, Button, Text } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import { tenantKey } from '../../api/hooks';

/**
 * A list paged by cursor (`?cursor=&limit=`, replies `{ <key>: T[], nextCursor }`), newest or oldest
 * first as the route answers; `params` are the filters, part of the query key.
 */
export function useCursorList<T>(path: string, key: string, params: Record<string, string> = {}, enabled = true) {
  const query = useInfiniteQuery({
    queryKey: [...tenantKey(path), params],
    queryFn: ({ pageParam }) => {
      const search = new URLSearchParams({ limit: '50' });
      for (const [k, v] of Object.entries(params)) if (v) search.set(k, v);
      if (pageParam) search.set('cursor', pageParam);
      return api.get<Record<string, unknown> & { nextCursor: string | null }>(`${path}?${search}`);
    },
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    enabled,
  });
  const items = query.data?.pages.flatMap((p) => (p[key] as T[] | undefined) ?? []) ?? [];
  return { ...query, items };
}

export function LoadMore({
  list,
}: {
  list: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage(): unknown };
}) {
  if (!list.hasNextPage) return null;
  return (
    <Button mt="md" variant="default" onClick={() => void list.fetchNextPage()} loading={list.isFetchingNextPage}>
      Load more
    </Button>
  );
}

const STATE_COLOURS: Record<string, string> = {
  ALLOW: 'teal',
  CHALLENGE_SUCCEEDED: 'teal',
  REVIEW_SUCCEEDED: 'teal',
  verified: 'teal',
  delivered: 'teal',
  CHALLENGE_REQUIRED: 'blue',
  REVIEW_REQUIRED: 'yellow',
  pending: 'blue',
  sent: 'blue',
  BLOCK: 'red',
  CHALLENGE_FAILED: 'red',
  REVIEW_FAILED: 'red',
  failed: 'red',
  refused: 'orange',
  expired: 'gray',
};

/** A state as a badge; the text is the state itself, so colour is never the only cue. */
export function StateBadge({ state }: { state: string }) {
  return (
    <Badge color={STATE_COLOURS[state] ?? 'gray'} variant="light" tt="none" c="dark.8">
      {state}
    </Badge>
  );
}

export const dash = (value: string | number | null | undefined) =>
  value === null || value === undefined || value === '' ? '—' : String(value);

export function Empty({ when, children }: { when: boolean; children: string }) {
  if (!when) return null;
  return (
    <Text size="sm" mt="sm">
      {children}
    </Text>
  );
}

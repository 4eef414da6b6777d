import { Button, Group, Paper, SimpleGrid, Stack, Table, Text, TextInput, Title, UnstyledButton } from '@mantine/core';
import { useInfiniteQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api } from '../../api/client';
import { tenantKey } from '../../api/hooks';
import type { AuditEntry } from '../../api/types';
import { ErrorNote, formatTime, JsonBlock, PageTitle } from '../../components/common';

interface Filters {
  actor: string;
  action: string;
  from: string;
  to: string;
}
const EMPTY: Filters = { actor: '', action: '', from: '', to: '' };

function query(filters: Filters, cursor: string | null): string {
  const params = new URLSearchParams({ limit: '50' });
  if (cursor) params.set('cursor', cursor);
  if (filters.actor) params.set('actor', filters.actor);
  if (filters.action) params.set('action', filters.action);
  if (filters.from) params.set('from', new Date(filters.from).toISOString());
  if (filters.to) params.set('to', new Date(`${filters.to}T23:59:59.999`).toISOString());
  return `/v1/management/audit-log?${params}`;
}

const actorOf = (e: AuditEntry) => e.actor.email ?? `${e.actor.kind} ${e.actor.id}`;

/** The audit log: every write through the Management API or the portal, newest first. */
export default function AuditPage() {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [open, setOpen] = useState<string | null>(null);
  const log = useInfiniteQuery({
    queryKey: [...tenantKey('/v1/management/audit-log'), filters],
    queryFn: ({ pageParam }) =>
      api.get<{ entries: AuditEntry[]; nextCursor: string | null }>(query(filters, pageParam)),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
  });
  const entries = log.data?.pages.flatMap((p) => p.entries) ?? [];
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFilters(draft);
  };

  return (
    <>
      <PageTitle description="Who changed what, when and from where. Secrets are masked.">Audit log</PageTitle>
      <form onSubmit={submit} aria-label="Filter the audit log">
        <Group align="flex-end" mb="md">
          <TextInput
            label="Actor (email or key ID)"
            value={draft.actor}
            onChange={(e) => setDraft({ ...draft, actor: e.currentTarget.value })}
          />
          <TextInput
            label="Action"
            placeholder="sms-providers.update"
            value={draft.action}
            onChange={(e) => setDraft({ ...draft, action: e.currentTarget.value })}
          />
          <TextInput
            label="From"
            type="date"
            value={draft.from}
            onChange={(e) => setDraft({ ...draft, from: e.currentTarget.value })}
          />
          <TextInput
            label="To"
            type="date"
            value={draft.to}
            onChange={(e) => setDraft({ ...draft, to: e.currentTarget.value })}
          />
          <Button type="submit">Filter</Button>
          <Button
            variant="subtle"
            onClick={() => {
              setDraft(EMPTY);
              setFilters(EMPTY);
            }}
          >
            Clear
          </Button>
        </Group>
      </form>
      <ErrorNote error={log.error} />
      <Table withTableBorder striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>When</Table.Th>
            <Table.Th>Who</Table.Th>
            <Table.Th>What</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>From IP</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {entries.map((e) => (
            <AuditRow
              key={e.entryId}
              entry={e}
              open={open === e.entryId}
              onToggle={() => setOpen(open === e.entryId ? null : e.entryId)}
            />
          ))}
        </Table.Tbody>
      </Table>
      {entries.length === 0 && !log.isPending && (
        <Text size="sm" mt="sm">
          Nothing recorded{filters === EMPTY ? '' : ' that matches'}.
        </Text>
      )}
      {log.hasNextPage && (
        <Button mt="md" variant="default" onClick={() => void log.fetchNextPage()} loading={log.isFetchingNextPage}>
          Show older entries
        </Button>
      )}
    </>
  );
}

function AuditRow({ entry, open, onToggle }: { entry: AuditEntry; open: boolean; onToggle(): void }) {
  return (
    <>
      <Table.Tr>
        <Table.Td>{formatTime(entry.at)}</Table.Td>
        <Table.Td>{actorOf(entry)}</Table.Td>
        <Table.Td>
          <UnstyledButton onClick={onToggle} aria-expanded={open} style={{ textDecoration: 'underline' }}>
            {entry.action}
          </UnstyledButton>
        </Table.Td>
        <Table.Td>{entry.status}</Table.Td>
        <Table.Td>{entry.ipAddress ?? '—'}</Table.Td>
      </Table.Tr>
      {open && (
        <Table.Tr>
          <Table.Td colSpan={5}>
            <Paper p="xs">
              <Stack gap="xs">
                <Text size="sm">
                  {entry.method} {entry.path}
                </Text>
                <SimpleGrid cols={{ base: 1, md: 2 }}>
                  <div>
                    <Title order={3} size="h6">
                      Before
                    </Title>
                    <JsonBlock value={entry.before} label="before" />
                  </div>
                  <div>
                    <Title order={3} size="h6">
                      After
                    </Title>
                    <JsonBlock value={entry.after} label="after" />
                  </div>
                </SimpleGrid>
              </Stack>
            </Paper>
          </Table.Td>
        </Table.Tr>
      )}
    </>
  );
}

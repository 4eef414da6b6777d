import { Button, Group, Select, Table, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import type { MessageRow } from '../../api/reporting-types';
import { ErrorNote, formatTime, PageTitle } from '../../components/common';
import { dash, Empty, LoadMore, StateBadge, useCursorList } from '../activity/shared';

const FIELDS = ['from', 'to', 'status', 'provider', 'country', 'prefix', 'userId', 'challengeId'] as const;
type Filters = Record<(typeof FIELDS)[number], string>;
const EMPTY: Filters = {
  from: '',
  to: '',
  status: '',
  provider: '',
  country: '',
  prefix: '',
  userId: '',
  challengeId: '',
};

/** Dates are days in the operator's time zone; the API takes ISO instants. */
function toParams(f: Filters): Record<string, string> {
  return {
    ...f,
    from: f.from ? new Date(f.from).toISOString() : '',
    to: f.to ? new Date(`${f.to}T23:59:59.999`).toISOString() : '',
  };
}

/** One row per send attempt and per send Sigil refused, newest first; each row opens its challenge. */
export default function MessageLogPage() {
  const navigate = useNavigate();
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const list = useCursorList<MessageRow>('/v1/management/sms/messages', 'items', toParams(filters));
  const set = (k: keyof Filters) => (e: { currentTarget: { value: string } }) =>
    setDraft({ ...draft, [k]: e.currentTarget.value });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFilters(draft);
  };
  const open = (row: MessageRow) =>
    row.challengeId && navigate(`/activity/challenges/${encodeURIComponent(row.challengeId)}`);

  return (
    <>
      <PageTitle description="Every send attempt and every send refused by a limit. Phone numbers are masked.">
        Message log
      </PageTitle>
      <form onSubmit={submit} aria-label="Filter the message log">
        <Group align="flex-end" mb="md" gap="sm">
          <TextInput label="From" type="date" value={draft.from} onChange={set('from')} />
          <TextInput label="To" type="date" value={draft.to} onChange={set('to')} />
          <Select
            label="Status"
            w={130}
            clearable
            value={draft.status || null}
            onChange={(v) => setDraft({ ...draft, status: v ?? '' })}
            data={['sent', 'delivered', 'failed', 'refused']}
          />
          <TextInput label="Provider" w={120} value={draft.provider} onChange={set('provider')} />
          <TextInput label="Country" placeholder="NZ" w={90} value={draft.country} onChange={set('country')} />
          <TextInput label="Prefix" placeholder="+6421" w={100} value={draft.prefix} onChange={set('prefix')} />
          <TextInput label="User ID" w={140} value={draft.userId} onChange={set('userId')} />
          <TextInput label="Challenge ID" w={160} value={draft.challengeId} onChange={set('challengeId')} />
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
      <ErrorNote error={list.error} />
      <Table withTableBorder striped highlightOnHover data-testid="message-log">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>When</Table.Th>
            <Table.Th>To</Table.Th>
            <Table.Th>Country</Table.Th>
            <Table.Th>Provider</Table.Th>
            <Table.Th miw={104}>Status</Table.Th>
            <Table.Th>Vendor error</Table.Th>
            <Table.Th>Reason</Table.Th>
            <Table.Th>Challenge</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {list.items.map((m) => (
            <Table.Tr
              key={m.id}
              data-testid="message-row"
              style={{ cursor: m.challengeId ? 'pointer' : undefined }}
              onClick={() => open(m)}
            >
              <Table.Td>{formatTime(m.at)}</Table.Td>
              <Table.Td>{m.phoneNumber}</Table.Td>
              <Table.Td>{dash(m.country)}</Table.Td>
              <Table.Td>{dash(m.provider)}</Table.Td>
              <Table.Td>
                <StateBadge state={m.status} />
              </Table.Td>
              <Table.Td>{dash(m.vendorError)}</Table.Td>
              <Table.Td>{dash(m.reason)}</Table.Td>
              <Table.Td>
                {m.challengeId ? (
                  // A real link for the keyboard and screen readers; the row's click is a shortcut.
                  <a
                    href={`#/activity/challenges/${encodeURIComponent(m.challengeId)}`}
                    onClick={(e) => e.stopPropagation()}
                  >
                    Open challenge
                  </a>
                ) : (
                  '—'
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Empty when={list.items.length === 0 && !list.isPending}>No messages.</Empty>
      <LoadMore list={list} />
    </>
  );
}

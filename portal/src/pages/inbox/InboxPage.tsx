import { Anchor, Code, Table } from '@mantine/core';
import { Link } from 'react-router-dom';
import { useApiQuery } from '../../api/hooks';
import type { InboxMessage } from '../../api/types';
import { ErrorNote, formatTime, PageTitle } from '../../components/common';
import { Empty } from '../activity/shared';

/** The code in a message: the first run of 4 to 10 digits (templates put it first, or near it). */
export const codeOf = (body: string) => /\b(\d{4,10})\b/.exec(body)?.[1] ?? '—';

/** Development only: what the dev provider "sent", newest first, with the code. */
export default function InboxPage() {
  const inbox = useApiQuery<{ messages: InboxMessage[] }>('/v1/management/dev/inbox?limit=100', {
    refetchInterval: 5_000,
  });
  const messages = [...(inbox.data?.messages ?? [])].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return (
    <>
      <PageTitle description="The development provider's messages (this server runs in development). Newest first.">
        Development inbox
      </PageTitle>
      <ErrorNote error={inbox.error} />
      <Table withTableBorder striped data-testid="inbox">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>When</Table.Th>
            <Table.Th>To</Table.Th>
            <Table.Th>Code</Table.Th>
            <Table.Th>Message</Table.Th>
            <Table.Th>Challenge</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {messages.map((m) => (
            <Table.Tr key={`${m.challengeId}-${m.createdAt}`}>
              <Table.Td>{formatTime(m.createdAt)}</Table.Td>
              <Table.Td>{m.to}</Table.Td>
              <Table.Td>
                <Code fz="md" fw={700} data-testid="inbox-code">
                  {codeOf(m.body)}
                </Code>
              </Table.Td>
              <Table.Td>{m.body}</Table.Td>
              <Table.Td>
                <Anchor component={Link} to={`/activity/challenges/${encodeURIComponent(m.challengeId)}`}>
                  Open
                </Anchor>
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Empty when={messages.length === 0 && !inbox.isPending}>No messages yet.</Empty>
    </>
  );
}

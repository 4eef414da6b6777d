import { Anchor, Button, Group, Table, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { Link } from 'react-router-dom';
import type { UserSummary } from '../../api/types';
import { ErrorNote, formatTime, PageTitle } from '../../components/common';
import { dash, Empty, LoadMore, useCursorList } from '../activity/shared';

/** Users: newest first, or those matching a user ID, an email, a full E.164 number or its last digits. */
export default function UsersPage() {
  const [draft, setDraft] = useState('');
  const [query, setQuery] = useState('');
  const list = useCursorList<UserSummary>('/v1/management/users', 'users', { query });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setQuery(draft.trim());
  };
  return (
    <>
      <PageTitle description="Search by user ID, email, a full phone number (+64…) or its last four digits or more.">
        Users
      </PageTitle>
      <form onSubmit={submit} aria-label="Search users">
        <Group align="flex-end" mb="md">
          <TextInput
            label="User ID, email or phone number"
            value={draft}
            onChange={(e) => setDraft(e.currentTarget.value)}
            w={360}
          />
          <Button type="submit">Search</Button>
          {query && (
            <Button
              variant="subtle"
              onClick={() => {
                setDraft('');
                setQuery('');
              }}
            >
              Clear
            </Button>
          )}
        </Group>
      </form>
      <ErrorNote error={list.error} />
      <Table withTableBorder striped data-testid="users-table">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>User ID</Table.Th>
            <Table.Th>Name</Table.Th>
            <Table.Th>Email</Table.Th>
            <Table.Th>Phone number</Table.Th>
            <Table.Th>Created</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {list.items.map((u) => (
            <Table.Tr key={u.userId}>
              <Table.Td>
                <Anchor component={Link} to={`/users/${encodeURIComponent(u.userId)}`}>
                  {u.userId}
                </Anchor>
              </Table.Td>
              <Table.Td>{dash(u.displayName)}</Table.Td>
              <Table.Td>{dash(u.email)}</Table.Td>
              <Table.Td>{dash(u.phoneNumber)}</Table.Td>
              <Table.Td>{formatTime(u.createdAt)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Empty when={list.items.length === 0 && !list.isPending}>{query ? 'No user matches.' : 'No users yet.'}</Empty>
      <LoadMore list={list} />
    </>
  );
}

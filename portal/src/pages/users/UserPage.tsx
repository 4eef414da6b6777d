import { Anchor, Badge, Card, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { describeError } from '../../api/client';
import { useApiMutation, useApiQuery } from '../../api/hooks';
import type { ActivityItem, UserDetail } from '../../api/types';
import { DangerButton, ErrorNote, formatTime, JsonBlock, PageTitle } from '../../components/common';
import { useSession } from '../../session';
import { dash, Empty, LoadMore, StateBadge, useCursorList } from '../activity/shared';

/** One user: attributes, authenticators (delete, re-authenticated), and every action and challenge. */
export default function UserPage() {
  const userId = useParams().userId ?? '';
  const base = `/v1/management/users/${encodeURIComponent(userId)}`;
  const { may } = useSession();
  const detail = useApiQuery<UserDetail>(base);
  const activity = useCursorList<ActivityItem>(`${base}/activity`, 'items');
  const [deleteError, setDeleteError] = useState<string | null>(null);
  const remove = useApiMutation<string>(
    (authenticatorId) => ({ method: 'DELETE', path: `${base}/authenticators/${encodeURIComponent(authenticatorId)}` }),
    [base],
  );
  const user = detail.data?.user;

  return (
    <>
      <PageTitle description={user?.email ?? user?.phoneNumber ?? undefined}>User {userId}</PageTitle>
      <ErrorNote error={detail.error} />
      {user && (
        <SimpleGrid cols={{ base: 1, md: 2 }} mb="lg">
          <Card withBorder>
            <Title order={2} size="h4" mb="xs">
              Attributes
            </Title>
            <Table variant="vertical" data-testid="user-attributes">
              <Table.Tbody>
                {(
                  [
                    ['User ID', user.userId],
                    ['Name', dash(user.displayName)],
                    ['Username', dash(user.username)],
                    [
                      'Email',
                      `${dash(user.email)}${user.email ? (user.emailVerified ? ' (verified)' : ' (not verified)') : ''}`,
                    ],
                    [
                      'Phone number',
                      `${dash(user.phoneNumber)}${user.phoneNumber ? (user.phoneNumberVerified ? ' (verified)' : ' (not verified)') : ''}`,
                    ],
                    ['Created', formatTime(user.createdAt)],
                    ['Updated', formatTime(user.updatedAt)],
                  ] as const
                ).map(([label, value]) => (
                  <Table.Tr key={label}>
                    <Table.Th w={140}>{label}</Table.Th>
                    <Table.Td>{value}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            {user.custom && Object.keys(user.custom).length > 0 && (
              <Stack gap={4} mt="sm">
                <Text size="sm" fw={600}>
                  Custom data
                </Text>
                <JsonBlock value={user.custom} label="custom data" />
              </Stack>
            )}
          </Card>
          <Card withBorder>
            <Title order={2} size="h4" mb="xs">
              Authenticators
            </Title>
            {deleteError && <ErrorNote error={new Error(deleteError)} title="Not deleted" />}
            <Table data-testid="authenticators">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Method</Table.Th>
                  <Table.Th>Phone or email</Table.Th>
                  <Table.Th>Last verified</Table.Th>
                  {may('users:write') && <Table.Th>Delete</Table.Th>}
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {detail.data?.authenticators.map((a) => (
                  <Table.Tr key={a.authenticatorId}>
                    <Table.Td>{a.verificationMethod}</Table.Td>
                    <Table.Td>{a.phoneNumber ?? a.email ?? '—'}</Table.Td>
                    <Table.Td>{formatTime(a.lastVerifiedAt ?? a.verifiedAt)}</Table.Td>
                    {may('users:write') && (
                      <Table.Td>
                        <DangerButton
                          aria-label={`Delete ${a.verificationMethod} authenticator ${a.phoneNumber ?? a.email ?? a.authenticatorId}`}
                          loading={remove.isPending && remove.variables === a.authenticatorId}
                          onClick={() => {
                            setDeleteError(null);
                            remove.mutate(a.authenticatorId, { onError: (err) => setDeleteError(describeError(err)) });
                          }}
                        >
                          Delete
                        </DangerButton>
                      </Table.Td>
                    )}
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            <Empty when={detail.data?.authenticators.length === 0}>No authenticators.</Empty>
          </Card>
        </SimpleGrid>
      )}
      <Title order={2} size="h4" mb="xs">
        Activity
      </Title>
      <ErrorNote error={activity.error} />
      <ActivityTable items={activity.items} />
      <Empty when={activity.items.length === 0 && !activity.isPending}>No actions or challenges yet.</Empty>
      <LoadMore list={activity} />
    </>
  );
}

function ActivityTable({ items }: { items: ActivityItem[] }) {
  return (
    <Table withTableBorder striped data-testid="activity">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>When</Table.Th>
          <Table.Th>What</Table.Th>
          <Table.Th>State</Table.Th>
          <Table.Th>IP and country</Table.Th>
          <Table.Th>Device</Table.Th>
          <Table.Th>User agent</Table.Th>
          <Table.Th>Rules matched</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {items.map((item) => (
          <Table.Tr key={`${item.kind}-${item.challengeId ?? item.idempotencyKey}-${item.at}`}>
            <Table.Td>{formatTime(item.at)}</Table.Td>
            <Table.Td>
              <ActivityLink item={item} />
            </Table.Td>
            <Table.Td>
              <StateBadge state={item.state} />
            </Table.Td>
            <Table.Td>
              {dash(item.ipAddress)}
              {item.country ? ` (${item.country})` : ''}
            </Table.Td>
            <Table.Td>{dash(item.deviceId)}</Table.Td>
            <Table.Td style={{ maxWidth: 220, overflowWrap: 'anywhere' }}>{dash(item.userAgent)}</Table.Td>
            <Table.Td>
              <Group gap={4}>
                {item.ruleIds.map((r) => (
                  <Badge key={r} variant="outline" color="gray" c="dark.8" tt="none">
                    {r}
                  </Badge>
                ))}
                {item.ruleIds.length === 0 && '—'}
              </Group>
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function ActivityLink({ item }: { item: ActivityItem }) {
  if (item.kind === 'challenge' && item.challengeId) {
    return (
      <Anchor component={Link} to={`/activity/challenges/${encodeURIComponent(item.challengeId)}`}>
        Code to {item.phoneNumber ?? 'a phone'} ({item.actionCode})
      </Anchor>
    );
  }
  if (item.idempotencyKey) {
    return (
      <Anchor component={Link} to={`/activity/actions/${encodeURIComponent(item.idempotencyKey)}`}>
        Action {item.actionCode}
      </Anchor>
    );
  }
  return <>{item.actionCode}</>;
}

import { Anchor, Badge, Card, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { Link, useParams } from 'react-router-dom';
import { useApiQuery } from '../../api/hooks';
import type { ActionDetail } from '../../api/types';
import { ErrorNote, formatTime, JsonBlock, PageTitle } from '../../components/common';
import { dash, StateBadge } from './shared';
import { EventTimeline, WhyAlert } from './Timeline';

/** One tracked action: its overview, the rules evaluated (the deciding one marked), its challenges, one timeline. */
export default function ActionDetailPage() {
  const key = useParams().idempotencyKey ?? '';
  const detail = useApiQuery<ActionDetail>(`/v1/management/actions/${encodeURIComponent(key)}`);
  const d = detail.data;
  return (
    <>
      <PageTitle description={`Idempotency key ${key}`}>{d ? `Action ${d.action.actionCode}` : 'Action'}</PageTitle>
      <ErrorNote error={detail.error} />
      {d && (
        <Stack>
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <Card withBorder>
              <Title order={2} size="h4" mb="xs">
                Overview
              </Title>
              <Table variant="vertical" data-testid="action-overview">
                <Table.Tbody>
                  <Row label="State">
                    <StateBadge state={d.action.state} />
                  </Row>
                  <Row label="Outcome">{dash(d.action.outcome)}</Row>
                  <Row label="User">
                    {d.action.userId ? (
                      <Anchor component={Link} to={`/users/${encodeURIComponent(d.action.userId)}`}>
                        {d.action.userId}
                      </Anchor>
                    ) : (
                      '—'
                    )}
                  </Row>
                  <Row label="Tracked">{formatTime(d.action.createdAt)}</Row>
                  <Row label="Validated">{formatTime(d.action.validatedAt)}</Row>
                  <Row label="IP and country">
                    {dash(d.action.ipAddress)}
                    {d.action.country ? ` (${d.action.country})` : ''}
                  </Row>
                  <Row label="Device">{dash(d.action.deviceId)}</Row>
                  <Row label="User agent">{dash(d.action.userAgent)}</Row>
                </Table.Tbody>
              </Table>
              {Object.keys(d.action.attributes).length > 0 && (
                <JsonBlock value={d.action.attributes} label="attributes" />
              )}
            </Card>
            <Card withBorder>
              <Title order={2} size="h4" mb="xs">
                Rules evaluated
              </Title>
              <Table data-testid="rules-evaluated">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Rule</Table.Th>
                    <Table.Th>Outcome</Table.Th>
                    <Table.Th>Matched</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {d.rules.map((r) => (
                    <Table.Tr key={r.ruleId} data-deciding={r.deciding || undefined}>
                      <Table.Td>
                        <Group gap="xs">
                          <Text size="sm" fw={r.deciding ? 700 : 400}>
                            {r.name}
                          </Text>
                          {r.deciding && (
                            <Badge color="blue" variant="filled">
                              Deciding rule
                            </Badge>
                          )}
                        </Group>
                      </Table.Td>
                      <Table.Td>{r.type}</Table.Td>
                      <Table.Td>{r.matched ? 'Matched' : 'Not matched'}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
              {d.rules.length === 0 && <Text size="sm">No rules: the default outcome decided.</Text>}
            </Card>
          </SimpleGrid>
          {d.challenges.length > 0 && (
            <Card withBorder>
              <Title order={2} size="h4" mb="xs">
                Challenges
              </Title>
              <Stack>
                {d.challenges.map((c) => (
                  <Stack key={c.challengeId} gap={4}>
                    <Text size="sm">
                      <Anchor
                        underline="always"
                        component={Link}
                        to={`/activity/challenges/${encodeURIComponent(c.challengeId)}`}
                      >
                        Code to {c.phoneNumber}
                      </Anchor>
                      {` · sent ${formatTime(c.createdAt)} · ${c.attempts} of ${c.maxAttempts} attempts`}
                      {c.verifiedAt ? ` · verified ${formatTime(c.verifiedAt)}` : ''}
                    </Text>
                    <WhyAlert why={c.why} challengeId={c.challengeId} />
                  </Stack>
                ))}
              </Stack>
            </Card>
          )}
          <Card withBorder>
            <Title order={2} size="h4" mb="sm">
              Timeline
            </Title>
            <EventTimeline events={d.timeline} linkChallenges />
          </Card>
        </Stack>
      )}
    </>
  );
}

export function Row({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <Table.Tr>
      <Table.Th w={140}>{label}</Table.Th>
      <Table.Td style={{ overflowWrap: 'anywhere' }}>{children}</Table.Td>
    </Table.Tr>
  );
}

import { Anchor, Card, SimpleGrid, Stack, Table, Title } from '@mantine/core';
import { Link, useParams } from 'react-router-dom';
import { useApiQuery } from '../../api/hooks';
import type { ChallengeDetail } from '../../api/types';
import { ErrorNote, formatTime, PageTitle } from '../../components/common';
import { Row } from './ActionDetailPage';
import { dash } from './shared';
import { EventTimeline, WhyAlert } from './Timeline';

/** One challenge: the why sentence first, then what it was and its timeline. */
export default function ChallengePage() {
  const id = useParams().challengeId ?? '';
  const detail = useApiQuery<ChallengeDetail>(`/v1/management/challenges/${encodeURIComponent(id)}`);
  const d = detail.data;
  const c = d?.challenge;
  return (
    <>
      <PageTitle description={`Challenge ${id}`}>{c ? `Code to ${c.phoneNumber}` : 'Challenge'}</PageTitle>
      <ErrorNote error={detail.error} />
      {d && c && (
        <Stack>
          <WhyAlert why={d.why} challengeId={c.challengeId} />
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <Card withBorder>
              <Title order={2} size="h4" mb="xs">
                Overview
              </Title>
              <Table variant="vertical" data-testid="challenge-overview">
                <Table.Tbody>
                  <Row label="Action">
                    <Anchor component={Link} to={`/activity/actions/${encodeURIComponent(c.idempotencyKey)}`}>
                      {c.actionCode} ({c.idempotencyKey})
                    </Anchor>
                  </Row>
                  <Row label="User">
                    {c.userId ? (
                      <Anchor component={Link} to={`/users/${encodeURIComponent(c.userId)}`}>
                        {c.userId}
                      </Anchor>
                    ) : (
                      '—'
                    )}
                  </Row>
                  <Row label="Phone number">{c.phoneNumber}</Row>
                  <Row label="Created">{formatTime(c.createdAt)}</Row>
                  <Row label="Expires">{formatTime(c.expiresAt)}</Row>
                  <Row label="Attempts">{`${c.attempts} of ${c.maxAttempts}`}</Row>
                  <Row label="Verified">{formatTime(c.verifiedAt)}</Row>
                  <Row label="Failed because">{dash(c.failedReason)}</Row>
                </Table.Tbody>
              </Table>
            </Card>
            <Card withBorder>
              <Title order={2} size="h4" mb="sm">
                Timeline
              </Title>
              <EventTimeline events={d.timeline} />
            </Card>
          </SimpleGrid>
        </Stack>
      )}
    </>
  );
}

import { Alert, Anchor, Button, Group, Table } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { api, describeError } from '../../api/client';
import type { ReviewItem } from '../../api/types';
import { ErrorNote, formatTime, PageTitle } from '../../components/common';
import { useSession } from '../../session';
import { dash, Empty, LoadMore, useCursorList } from '../activity/shared';

type Decision = 'approve' | 'reject';

/** Every REVIEW_REQUIRED action, oldest first; approve or reject waits for the server, then the queue is read again. */
export default function ReviewsPage() {
  const { may } = useSession();
  const client = useQueryClient();
  const list = useCursorList<ReviewItem>('/v1/management/reviews', 'items');
  const [busy, setBusy] = useState<string | null>(null);
  const [note, setNote] = useState<{ ok: boolean; text: string } | null>(null);
  const canDecide = may('reviews:decide');

  const decide = async (item: ReviewItem, decision: Decision) => {
    setBusy(`${item.idempotencyKey}:${decision}`);
    setNote(null);
    try {
      const r = await api.post<{ state: string }>(`/v1/management/reviews/${encodeURIComponent(item.idempotencyKey)}`, {
        decision,
      });
      setNote({ ok: true, text: `${item.actionCode} ${item.idempotencyKey}: ${r.state}.` });
    } catch (err) {
      setNote({ ok: false, text: describeError(err) });
    } finally {
      setBusy(null);
      await client.invalidateQueries({ predicate: (q) => String(q.queryKey[2] ?? '').startsWith('/v1/management/') });
    }
  };

  return (
    <>
      <PageTitle description="Actions a rule sent to review, oldest first. Approving or rejecting is recorded with your name.">
        Review queue
      </PageTitle>
      <ErrorNote error={list.error} />
      {note && (
        <Alert color={note.ok ? 'teal' : 'red'} role={note.ok ? 'status' : 'alert'} mb="md" data-testid="review-result">
          {note.text}
        </Alert>
      )}
      <Table withTableBorder striped data-testid="reviews">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Tracked</Table.Th>
            <Table.Th>Action</Table.Th>
            <Table.Th>User</Table.Th>
            <Table.Th>IP and country</Table.Th>
            <Table.Th>Device</Table.Th>
            <Table.Th>Rules</Table.Th>
            {canDecide && <Table.Th>Decision</Table.Th>}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {list.items.map((r) => (
            <Table.Tr key={r.idempotencyKey} data-testid="review-row">
              <Table.Td>{formatTime(r.createdAt)}</Table.Td>
              <Table.Td>
                <Anchor component={Link} to={`/activity/actions/${encodeURIComponent(r.idempotencyKey)}`}>
                  {r.actionCode} {r.idempotencyKey.slice(0, 8)}
                </Anchor>
              </Table.Td>
              <Table.Td>{dash(r.userId)}</Table.Td>
              <Table.Td>
                {dash(r.ipAddress)}
                {r.country ? ` (${r.country})` : ''}
              </Table.Td>
              <Table.Td>{dash(r.deviceId)}</Table.Td>
              <Table.Td>{r.ruleIds.join(', ') || '—'}</Table.Td>
              {canDecide && (
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <Button
                      size="xs"
                      aria-label={`Approve ${r.actionCode} ${r.idempotencyKey}`}
                      loading={busy === `${r.idempotencyKey}:approve`}
                      disabled={busy !== null}
                      onClick={() => void decide(r, 'approve')}
                    >
                      Approve
                    </Button>
                    <Button
                      size="xs"
                      color="red"
                      variant="light"
                      aria-label={`Reject ${r.actionCode} ${r.idempotencyKey}`}
                      loading={busy === `${r.idempotencyKey}:reject`}
                      disabled={busy !== null}
                      onClick={() => void decide(r, 'reject')}
                    >
                      Reject
                    </Button>
                  </Group>
                </Table.Td>
              )}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Empty when={list.items.length === 0 && !list.isPending}>Nothing waits for review.</Empty>
      <LoadMore list={list} />
    </>
  );
}

import { Alert, Anchor, Table, Text, Timeline } from '@mantine/core';
import { Link } from 'react-router-dom';
import type { TimelineEvent, Why } from '../../api/types';
import { formatTime } from '../../components/common';

const WHY_COLOURS: Record<Why['code'], string> = {
  verified: 'teal',
  pending: 'blue',
  delivered_not_entered: 'yellow',
  sent_not_entered: 'yellow',
  entered_wrongly: 'orange',
  expired: 'gray',
  refused_by_sigil: 'red',
  refused_by_vendor: 'red',
  failed_by_carrier: 'red',
};

/** "Why didn't the code arrive?": the server's one sentence, prominent on every challenge. */
export function WhyAlert({ why, challengeId }: { why: Why; challengeId: string }) {
  return (
    <Alert color={WHY_COLOURS[why.code]} title="Why didn't the code arrive?" data-testid={`why-${challengeId}`}>
      <Text size="sm" c="dark.8" data-testid="why-sentence">
        {why.sentence}
      </Text>
    </Alert>
  );
}

/** A time with seconds: a timeline's events are often seconds apart. */
const exact = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

/** The one timeline: state changes, sends with their receipts, refusals, wrong codes, decisions. */
export function EventTimeline({
  events,
  linkChallenges = false,
}: {
  events: TimelineEvent[];
  linkChallenges?: boolean;
}) {
  if (events.length === 0) return <Text size="sm">Nothing happened yet.</Text>;
  return (
    <Timeline active={events.length - 1} bulletSize={14} lineWidth={2} data-testid="timeline">
      {events.map((e) => (
        <Timeline.Item
          key={`${e.at}-${e.kind}-${e.challengeId}-${e.summary}`}
          title={e.summary}
          data-testid="timeline-event"
          data-kind={e.kind}
        >
          <Text size="xs" c="gray.7">
            <time dateTime={e.at}>{exact(e.at)}</time>
            {linkChallenges && e.challengeId && (
              <>
                {' · '}
                <Anchor
                  size="xs"
                  underline="always"
                  component={Link}
                  to={`/activity/challenges/${encodeURIComponent(e.challengeId)}`}
                >
                  challenge {e.challengeId}
                </Anchor>
              </>
            )}
          </Text>
          <EventDetails event={e} />
        </Timeline.Item>
      ))}
    </Timeline>
  );
}

function EventDetails({ event: e }: { event: TimelineEvent }) {
  const rows: [string, string][] = [];
  if (e.kind === 'state_change') {
    if (e.state) rows.push(['State', e.state]);
    if (e.reason) rows.push(['Reason', e.reason]);
    if (e.decidedBy) rows.push(['Decided by', e.decidedBy]);
  } else if (e.kind === 'code_sent') {
    if (e.attempt !== undefined) rows.push(['Attempt', String(e.attempt)]);
    if (e.provider) rows.push(['Provider', e.provider]);
    if (e.outcome) rows.push(['Outcome', e.outcome]);
    if (e.vendorError) rows.push(['Vendor error', e.vendorError]);
    if (e.latencyMs !== undefined) rows.push(['Latency', `${e.latencyMs} ms`]);
  } else if (e.kind === 'send_refused') {
    if (e.defence) rows.push(['Limit', e.defence]);
    if (e.mode) rows.push(['Mode', e.mode]);
  } else if (e.kind === 'wrong_code') {
    if (e.attemptNumber !== undefined) rows.push(['Attempt', String(e.attemptNumber)]);
  } else if (e.kind === 'review_decision') {
    if (e.decision) rows.push(['Decision', e.decision]);
    if (e.decidedBy) rows.push(['Decided by', e.decidedBy]);
  }
  const receipts = e.receipts ?? [];
  if (rows.length === 0 && receipts.length === 0) return null;
  return (
    <>
      {rows.length > 0 && (
        <Text size="sm" component="dl" className="sigil-details">
          {rows.map(([k, v]) => (
            <div key={k} style={{ display: 'inline-block' }}>
              <dt style={{ display: 'inline', fontWeight: 600 }}>{k}: </dt>
              <dd style={{ display: 'inline', margin: '0 12px 0 0' }}>{v}</dd>
            </div>
          ))}
        </Text>
      )}
      {receipts.length > 0 && (
        <Table mt={4} withTableBorder fz="xs" maw={560} captionSide="top" data-testid="receipts">
          <Table.Caption>Delivery receipts</Table.Caption>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>When</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Vendor status</Table.Th>
              <Table.Th>Error code</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {receipts.map((r) => (
              <Table.Tr key={`${r.at}-${r.status}-${r.vendorStatus}`}>
                <Table.Td>{formatTime(r.at)}</Table.Td>
                <Table.Td>{r.status}</Table.Td>
                <Table.Td>{r.vendorStatus}</Table.Td>
                <Table.Td>{r.errorCode ?? '—'}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </>
  );
}

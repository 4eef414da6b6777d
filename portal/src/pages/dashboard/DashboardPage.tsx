import { Group, SegmentedControl, Select, SimpleGrid, Stack, Text } from '@mantine/core';
import { useMemo, useState } from 'react';
import { useApiQuery } from '../../api/hooks';
import type { ActionOutcomes, SmsSummary, SummaryGroupBy } from '../../api/reporting-types';
import { ErrorNote, PageTitle } from '../../components/common';
import { ChartCard } from './charts';
import { PriceTableCard } from './PriceTable';

const RANGES = { '24h': 24, '7d': 24 * 7, '30d': 24 * 30 } as const;
type Range = keyof typeof RANGES;

const percent = (n: number | null) => (n === null ? '—' : `${Math.round(n * 1000) / 10}%`);
const ms = (n: number | null) => (n === null ? '—' : `${Math.round(n)} ms`);

/** SMS and track figures over 24 h, 7 d or 30 d, each chart with its table. */
export default function DashboardPage() {
  const [range, setRange] = useState<Range>('7d');
  const [groupBy, setGroupBy] = useState<SummaryGroupBy>('country');
  // The window is fixed when the range is chosen, so the three calls agree and the cache holds.
  const { from, to } = useMemo(() => {
    const end = new Date();
    return { from: new Date(end.getTime() - RANGES[range] * 3_600_000).toISOString(), to: end.toISOString() };
  }, [range]);
  const q = (extra: string) => `from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&${extra}`;
  const byDay = useApiQuery<SmsSummary>(`/v1/management/sms/summary?${q('groupBy=day')}`);
  const byGroup = useApiQuery<SmsSummary>(`/v1/management/sms/summary?${q(`groupBy=${groupBy}`)}`);
  const outcomes = useApiQuery<ActionOutcomes>(`/v1/management/actions/outcomes?${q('groupBy=action')}`);
  const day = byDay.data;
  const currency = day?.currency ?? null;
  const money = (n: number | null) => (n === null ? '—' : `${n.toFixed(2)}${currency ? ` ${currency}` : ''}`);

  return (
    <>
      <PageTitle description="Codes sent, delivered and verified; conversion is verified ÷ sent.">Dashboard</PageTitle>
      <Group mb="md" align="flex-end">
        <SegmentedControl
          aria-label="Range"
          value={range}
          onChange={(v) => setRange(v as Range)}
          data={[
            { value: '24h', label: '24 hours' },
            { value: '7d', label: '7 days' },
            { value: '30d', label: '30 days' },
          ]}
        />
      </Group>
      <ErrorNote error={byDay.error ?? byGroup.error ?? outcomes.error} />
      {day && (
        <Text size="sm" mb="md" data-testid="dashboard-totals">
          {`Sent ${day.totals.sent} · delivered ${day.totals.delivered} · failed ${day.totals.failed} · refused ${day.totals.refused} · verified ${day.totals.verified} · conversion ${percent(day.totals.conversion)} · estimated cost ${money(day.totals.estimatedCost)}`}
        </Text>
      )}
      <Stack>
        <SimpleGrid cols={{ base: 1, lg: 2 }}>
          <ChartCard
            title="Codes by day"
            testId="chart-by-day"
            keyLabel="Day"
            rows={day?.rows ?? []}
            series={[
              { key: 'sent', label: 'Sent', colour: '#1c7ed6' },
              { key: 'delivered', label: 'Delivered', colour: '#0ca678' },
              { key: 'verified', label: 'Verified', colour: '#7048e8' },
            ]}
          />
          <ChartCard
            title="Conversion by day"
            testId="chart-conversion-day"
            keyLabel="Day"
            kind="line"
            rows={day?.rows ?? []}
            series={[{ key: 'conversion', label: 'Conversion', colour: '#7048e8', format: percent }]}
          />
          <ChartCard
            title={`Conversion by ${groupBy}`}
            testId="chart-conversion-group"
            keyLabel={groupBy}
            rows={byGroup.data?.rows ?? []}
            extra={
              <Select
                label="Group by"
                w={180}
                mb="xs"
                allowDeselect={false}
                value={groupBy}
                onChange={(v) => v && setGroupBy(v as SummaryGroupBy)}
                data={[
                  { value: 'country', label: 'Country' },
                  { value: 'prefix', label: 'Destination prefix' },
                  { value: 'provider', label: 'Provider' },
                  { value: 'day', label: 'Day' },
                ]}
              />
            }
            series={[
              { key: 'sent', label: 'Sent', colour: '#1c7ed6', chart: false },
              { key: 'verified', label: 'Verified', colour: '#7048e8', chart: false },
              { key: 'conversion', label: 'Conversion', colour: '#f08c00', format: percent },
            ]}
          />
          <ChartCard
            title="Delivery latency"
            testId="chart-latency"
            keyLabel="Day"
            kind="line"
            rows={day?.rows ?? []}
            series={[
              { key: 'latencyP50Ms', label: 'p50', colour: '#1c7ed6', format: ms },
              { key: 'latencyP95Ms', label: 'p95', colour: '#e03131', format: ms },
            ]}
          />
          <ChartCard
            title="Failures by reason"
            testId="chart-failures"
            keyLabel="Reason"
            rows={(day?.failuresByReason ?? []).map((r) => ({ key: `${r.provider}: ${r.reason}`, count: r.count }))}
            series={[{ key: 'count', label: 'Failures', colour: '#e03131' }]}
            empty="No failures in this range."
          />
          <ChartCard
            title="Sends refused by each limit"
            testId="chart-refusals"
            keyLabel="Limit"
            rows={(day?.refusalsByLimit ?? []).map((r) => ({ key: r.defence, count: r.count }))}
            series={[{ key: 'count', label: 'Refused', colour: '#f08c00' }]}
            empty="No sends refused in this range."
          />
          <ChartCard
            title="Track outcomes by action"
            testId="chart-outcomes"
            keyLabel="Action"
            rows={outcomes.data?.rows ?? []}
            series={[
              { key: 'ALLOW', label: 'Allow', colour: '#0ca678' },
              { key: 'CHALLENGE_REQUIRED', label: 'Challenge', colour: '#1c7ed6' },
              { key: 'REVIEW_REQUIRED', label: 'Review', colour: '#f08c00' },
              { key: 'BLOCK', label: 'Block', colour: '#e03131' },
            ]}
          />
          <ChartCard
            title="Estimated cost by day"
            testId="chart-cost"
            keyLabel="Day"
            rows={day?.rows ?? []}
            series={[
              { key: 'segments', label: 'Segments', colour: '#868e96', chart: false },
              { key: 'estimatedCost', label: 'Estimated cost', colour: '#1c7ed6', format: money },
            ]}
            empty="Nothing sent in this range."
          />
        </SimpleGrid>
        <PriceTableCard />
      </Stack>
    </>
  );
}

import { Card, Table, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';

export interface Series {
  key: string;
  label: string;
  colour: string;
  format?: (n: number | null) => string;
  /** false: in the table only (a count beside a ratio would flatten the ratio's bars). */
  chart?: false;
}

const plain = (n: number | null) => (n === null ? '—' : String(n));

/**
 * A chart and, under it, the same figures as a table: the chart is for the eye (its keyboard layer off: the table carries the figures); the table is what a
 * screen reader reads (the chart is hidden from it) and what the tests compare with what was done.
 */
export function ChartCard({
  title,
  testId,
  rows,
  keyLabel,
  series,
  kind = 'bar',
  empty = 'Nothing in this range.',
  extra,
}: {
  title: string;
  testId: string;
  rows: readonly object[];
  keyLabel: string;
  series: Series[];
  kind?: 'bar' | 'line';
  empty?: string;
  extra?: ReactNode;
}) {
  const Chart = kind === 'bar' ? BarChart : LineChart;
  return (
    <Card withBorder data-testid={testId}>
      <Title order={2} size="h4" mb="xs">
        {title}
      </Title>
      {extra}
      {rows.length > 0 && (
        <div aria-hidden="true" style={{ width: '100%', height: 220 }}>
          <ResponsiveContainer>
            <Chart accessibilityLayer={false} data={rows as object[]} margin={{ top: 8, right: 8, bottom: 8, left: 0 }}>
              <CartesianGrid strokeDasharray="3 3" />
              <XAxis dataKey="key" fontSize={11} />
              <YAxis fontSize={11} allowDecimals={series.some((s) => s.format)} />
              <Tooltip />
              <Legend />
              {series
                .filter((s) => s.chart !== false)
                .map((s) =>
                  kind === 'bar' ? (
                    <Bar key={s.key} dataKey={s.key} name={s.label} fill={s.colour} isAnimationActive={false} />
                  ) : (
                    <Line
                      key={s.key}
                      dataKey={s.key}
                      name={s.label}
                      stroke={s.colour}
                      strokeWidth={2}
                      isAnimationActive={false}
                    />
                  ),
                )}
            </Chart>
          </ResponsiveContainer>
        </div>
      )}
      <Table fz="xs" withTableBorder mt="xs" data-testid={`${testId}-table`}>
        <Table.Caption>{title}, as figures</Table.Caption>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>{keyLabel}</Table.Th>
            {series.map((s) => (
              <Table.Th key={s.key}>{s.label}</Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(rows as Record<string, unknown>[]).map((r) => (
            <Table.Tr key={String(r.key)}>
              <Table.Th scope="row">{String(r.key)}</Table.Th>
              {series.map((s) => (
                <Table.Td key={s.key} data-series={s.key}>
                  {(s.format ?? plain)((r[s.key] as number | null | undefined) ?? null)}
                </Table.Td>
              ))}
            </Table.Tr>
          ))}
          {rows.length === 0 && (
            <Table.Tr>
              <Table.Td colSpan={series.length + 1}>{empty}</Table.Td>
            </Table.Tr>
          )}
        </Table.Tbody>
      </Table>
    </Card>
  );
}

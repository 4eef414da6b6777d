import { Button, Group, NumberInput, Paper, Text, Textarea, TextInput, Title } from '@mantine/core';
import { type FormEvent, useEffect, useState } from 'react';
import { useApiMutation, useApiQuery } from '../../api/hooks';
import type { PriceTable } from '../../api/reporting-types';
import { ErrorNote } from '../../components/common';
import { useSession } from '../../session';

const PATH = '/v1/management/sms/prices';

/** "NZ 0.079" per line, the way an operator copies prices from a vendor's rate card. */
const linesOf = (perSegment: Record<string, number>) =>
  Object.entries(perSegment)
    .map(([country, price]) => `${country} ${price}`)
    .join('\n');

function parseLines(text: string): Record<string, number> | string {
  const table: Record<string, number> = {};
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const match = /^\s*([A-Za-z]{2})\s+([0-9]*\.?[0-9]+)\s*$/.exec(line);
    if (!match) return `Line ${i + 1} is not a country code and a price, such as "NZ 0.079".`;
    table[(match[1] as string).toUpperCase()] = Number(match[2]);
  }
  return table;
}

/** The per-country price of one segment that the estimated cost uses; editable with config:write. */
export function PriceTableCard() {
  const { may } = useSession();
  const prices = useApiQuery<PriceTable>(PATH);
  const save = useApiMutation(
    (body: unknown) => ({ method: 'PUT', path: PATH, body }),
    [PATH, '/v1/management/sms/summary'],
  );
  const [currency, setCurrency] = useState('');
  const [lines, setLines] = useState('');
  const [fallback, setFallback] = useState<number | string>('');
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    if (!prices.data) return;
    setCurrency(prices.data.currency ?? '');
    setLines(linesOf(prices.data.perSegment));
    setFallback(prices.data.default ?? '');
  }, [prices.data]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const perSegment = parseLines(lines);
    if (typeof perSegment === 'string') return setProblem(perSegment);
    setProblem(null);
    save.mutate({
      currency: currency.trim().toUpperCase(),
      perSegment,
      default: fallback === '' ? null : Number(fallback),
    });
  };
  const canWrite = may('config:write');

  return (
    <Paper withBorder p="md">
      <Title order={2} size="h4" mb="xs">
        Price table
      </Title>
      <Text size="sm" c="dimmed" mb="sm">
        The price of one segment per destination country; the estimated cost is segments × price.
      </Text>
      <form onSubmit={submit} aria-label="Price table">
        <Group align="flex-start">
          <TextInput
            label="Currency"
            placeholder="NZD"
            w={100}
            value={currency}
            disabled={!canWrite}
            onChange={(e) => setCurrency(e.currentTarget.value)}
          />
          <Textarea
            label="Price per segment, one country a line"
            placeholder={'NZ 0.079\nAU 0.062'}
            autosize
            minRows={3}
            w={260}
            value={lines}
            disabled={!canWrite}
            onChange={(e) => setLines(e.currentTarget.value)}
          />
          <NumberInput
            label="Other countries"
            placeholder="none"
            w={140}
            min={0}
            decimalScale={4}
            value={fallback}
            disabled={!canWrite}
            onChange={setFallback}
          />
        </Group>
        {canWrite && (
          <Button type="submit" mt="sm" loading={save.isPending}>
            Save prices
          </Button>
        )}
      </form>
      {problem && (
        <Text c="red.8" size="sm" mt="xs" role="alert">
          {problem}
        </Text>
      )}
      {save.isSuccess && !problem && (
        <Text size="sm" mt="xs" role="status">
          Saved.
        </Text>
      )}
      <ErrorNote error={prices.error ?? save.error} />
    </Paper>
  );
}

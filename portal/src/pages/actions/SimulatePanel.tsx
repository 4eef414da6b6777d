import { Alert, Button, Group, List, NumberInput, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useApiMutation } from '../../api/hooks';
import type { Outcome, SimulationResult } from '../../api/types';
import { ErrorNote, formatTime } from '../../components/common';
import type { RuleDraft } from './RuleEditor';

interface Props {
  actionCode: string;
  defaultAction: Outcome;
  /** The rule set as it would be saved: the stored rules with the draft in place. */
  rules: RuleDraft[];
}

/** Simulate: the draft rule set against the actions recorded in the last N days, before saving it. */
export function SimulatePanel({ actionCode, defaultAction, rules }: Props) {
  const [days, setDays] = useState<number>(7);
  const simulate = useApiMutation<number, SimulationResult>((d) => ({
    method: 'POST',
    path: `/v1/management/action-configurations/${encodeURIComponent(actionCode)}/simulate`,
    body: {
      days: d,
      defaultAction,
      rules: rules.map(({ ruleId, name, priority, isActive, type, conditions }) => ({
        ...(ruleId ? { ruleId } : {}),
        name,
        priority,
        isActive,
        type,
        conditions,
      })),
    },
  }));
  const r = simulate.data;
  return (
    <Paper withBorder p="md">
      <Stack>
        <Title order={2} size="h4">
          Simulate
        </Title>
        <Text size="sm">
          Runs these rules, as drafted, over the actions recorded for {actionCode}, and shows what would change.
        </Text>
        <Group align="flex-end">
          <NumberInput
            label="Days back"
            min={1}
            max={30}
            value={days}
            onChange={(v) => setDays(Number(v) || 1)}
            w={120}
          />
          <Button
            onClick={() => simulate.mutate(Math.min(30, Math.max(1, days)))}
            loading={simulate.isPending}
            variant="light"
          >
            Run simulation
          </Button>
        </Group>
        <ErrorNote error={simulate.error} title="The simulation did not run" />
        {r && (
          <Stack gap="sm" data-testid="simulation-result" aria-live="polite">
            <Text>
              <b>{r.changed}</b> of {r.evaluated} recorded actions would get another outcome ({r.unchanged} unchanged;
              took {r.tookMs} ms).
            </Text>
            {r.transitions.length > 0 && (
              <Table striped withTableBorder captionSide="top">
                <Table.Caption>Changes, from the recorded outcome to the simulated one</Table.Caption>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>From</Table.Th>
                    <Table.Th>To</Table.Th>
                    <Table.Th>Actions</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {r.transitions.map((t) => (
                    <Table.Tr key={`${t.from}-${t.to}`}>
                      <Table.Td>{t.from}</Table.Td>
                      <Table.Td>{t.to}</Table.Td>
                      <Table.Td>{t.count}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            )}
            {r.sample.length > 0 && (
              <Table withTableBorder captionSide="top">
                <Table.Caption>A sample of the actions that would change</Table.Caption>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>When</Table.Th>
                    <Table.Th>User</Table.Th>
                    <Table.Th>From</Table.Th>
                    <Table.Th>To</Table.Th>
                    <Table.Th>Rule</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {r.sample.map((s) => (
                    <Table.Tr key={s.actionId}>
                      <Table.Td>{formatTime(s.createdAt)}</Table.Td>
                      <Table.Td>{s.userId}</Table.Td>
                      <Table.Td>{s.from}</Table.Td>
                      <Table.Td>{s.to}</Table.Td>
                      <Table.Td>{s.ruleName ?? 'default outcome'}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            )}
            {r.notReconstructed.length > 0 && (
              <Alert color="gray" title="What the simulation cannot reconstruct">
                <List size="sm">
                  {r.notReconstructed.map((n) => (
                    <List.Item key={n}>{n}</List.Item>
                  ))}
                </List>
              </Alert>
            )}
          </Stack>
        )}
      </Stack>
    </Paper>
  );
}

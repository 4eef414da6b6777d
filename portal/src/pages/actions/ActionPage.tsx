import { Anchor, Badge, Button, Group, Paper, Select, Stack, Switch, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { useApiMutation, useApiQuery } from '../../api/hooks';
import { type ActionConfig, OUTCOMES, type Outcome, type Rule } from '../../api/types';
import { DangerButton, ErrorNote, PageTitle } from '../../components/common';
import { SortableList } from '../../components/SortableList';
import { useSession } from '../../session';
import { type RuleDraft, RuleEditor } from './RuleEditor';
import { SimulatePanel } from './SimulatePanel';

const byPriority = (a: Rule, b: Rule) => a.priority - b.priority;

/** One action: its default outcome, its rules in priority order, the rule editor and the simulation. */
export default function ActionPage() {
  const { actionCode = '' } = useParams();
  const { may } = useSession();
  const canWrite = may('config:write');
  const base = `/v1/management/action-configurations/${encodeURIComponent(actionCode)}`;
  const config = useApiQuery<ActionConfig>(base);
  const rules = useApiQuery<Rule[]>(`${base}/rules`);
  const [order, setOrder] = useState<Rule[]>([]);
  const [editing, setEditing] = useState<RuleDraft | null>(null);
  const [draft, setDraft] = useState<RuleDraft | null>(null);
  useEffect(() => setOrder([...(rules.data ?? [])].sort(byPriority)), [rules.data]);

  const patchConfig = useApiMutation<Outcome>(
    (outcome) => ({ method: 'PATCH', path: base, body: { defaultUserActionResult: outcome } }),
    [base],
  );
  const createConfig = useApiMutation<void>(
    () => ({
      method: 'POST',
      path: '/v1/management/action-configurations',
      body: { actionCode, defaultUserActionResult: 'ALLOW' },
    }),
    [base, '/v1/management/actions'],
  );
  const patchRule = useApiMutation<{ ruleId: string; body: Record<string, unknown> }>(
    ({ ruleId, body }) => ({ method: 'PATCH', path: `${base}/rules/${encodeURIComponent(ruleId)}`, body }),
    [`${base}/rules`],
  );
  const deleteRule = useApiMutation<string>(
    (ruleId) => ({ method: 'DELETE', path: `${base}/rules/${encodeURIComponent(ruleId)}` }),
    [`${base}/rules`],
  );
  const saveRule = useApiMutation<RuleDraft>(
    ({ ruleId, ...body }) =>
      ruleId
        ? { method: 'PATCH', path: `${base}/rules/${encodeURIComponent(ruleId)}`, body }
        : { method: 'POST', path: `${base}/rules`, body },
    [`${base}/rules`],
  );

  // Priority by drag: lower numbers run first; each moved rule gets its new position.
  const reorder = async (next: Rule[]) => {
    setOrder(next);
    for (const [i, rule] of next.entries()) {
      const priority = (i + 1) * 10;
      if (rule.priority !== priority) await patchRule.mutateAsync({ ruleId: rule.ruleId, body: { priority } });
    }
  };

  const startNew = () => {
    const fresh: RuleDraft = {
      name: '',
      type: 'CHALLENGE',
      isActive: true,
      priority: ((order.at(-1)?.priority ?? 0) as number) + 10,
      conditions: null,
    };
    setEditing(fresh);
    setDraft(fresh);
  };
  const startEdit = (rule: Rule) => {
    const d: RuleDraft = {
      ruleId: rule.ruleId,
      name: rule.name,
      type: rule.type,
      isActive: rule.isActive,
      priority: rule.priority,
      conditions: rule.conditions,
    };
    setEditing(d);
    setDraft(d);
  };
  const close = () => {
    setEditing(null);
    setDraft(null);
    saveRule.reset();
  };

  // What Simulate runs: the stored rules with the draft in its place (or added).
  const simulated: RuleDraft[] = order
    .map((r) => (draft?.ruleId === r.ruleId ? draft : { ...r }))
    .concat(draft && !draft.ruleId ? [draft] : []);
  const defaultOutcome = config.data?.defaultUserActionResult ?? 'ALLOW';
  const missing = config.error && (config.error as { status?: number }).status === 404;

  return (
    <>
      <Anchor component={Link} to="/actions" size="sm">
        ← All actions
      </Anchor>
      <PageTitle description="Rules run in priority order; the first active rule that matches decides the outcome.">
        Action {actionCode}
      </PageTitle>
      {missing ? (
        <Stack align="flex-start">
          <Text>This action has no configuration yet: it gets the default outcome ALLOW and no rules.</Text>
          <Button onClick={() => createConfig.mutate()} loading={createConfig.isPending} disabled={!canWrite}>
            Configure {actionCode}
          </Button>
          <ErrorNote error={createConfig.error} />
        </Stack>
      ) : (
        <Stack>
          <ErrorNote error={config.error ?? rules.error} />
          <Select
            label="Default outcome (when no rule matches)"
            data={OUTCOMES}
            value={defaultOutcome}
            onChange={(v) => v && patchConfig.mutate(v as Outcome)}
            allowDeselect={false}
            w={260}
            disabled={!canWrite || !config.data}
          />
          <ErrorNote error={patchConfig.error ?? patchRule.error ?? deleteRule.error} title="Not saved" />
          <Group justify="space-between">
            <Title order={2} size="h4">
              Rules, in priority order
            </Title>
            <Button onClick={startNew} disabled={!canWrite || editing !== null || !config.data}>
              New rule
            </Button>
          </Group>
          {order.length === 0 && <Text size="sm">No rules yet.</Text>}
          <SortableList
            items={order}
            idOf={(r) => r.ruleId}
            labelOf={(r) => `rule ${r.name}`}
            onReorder={(next) => void reorder(next)}
          >
            {(rule) => (
              <Group justify="space-between" wrap="nowrap" data-testid="rule-row">
                <Stack gap={2}>
                  <Text fw={600}>{rule.name}</Text>
                  <Group gap="xs">
                    <Badge variant="light">{rule.type}</Badge>
                    <Text size="xs">priority {rule.priority}</Text>
                  </Group>
                </Stack>
                <Group gap="xs" wrap="nowrap">
                  <Switch
                    label="Active"
                    checked={rule.isActive}
                    disabled={!canWrite}
                    onChange={(e) =>
                      patchRule.mutate({ ruleId: rule.ruleId, body: { isActive: e.currentTarget.checked } })
                    }
                  />
                  <Button
                    size="xs"
                    variant="default"
                    onClick={() => startEdit(rule)}
                    disabled={editing !== null}
                    aria-label={`Edit rule ${rule.name}`}
                  >
                    Edit
                  </Button>
                  <DangerButton
                    disabled={!canWrite}
                    onClick={() => deleteRule.mutate(rule.ruleId)}
                    aria-label={`Delete rule ${rule.name}`}
                  >
                    Delete
                  </DangerButton>
                </Group>
              </Group>
            )}
          </SortableList>
          {editing && (
            <Paper withBorder p="md">
              <Title order={2} size="h4" mb="sm">
                {editing.ruleId ? `Edit rule ${editing.name}` : 'New rule'}
              </Title>
              <RuleEditor
                initial={editing}
                onDraftChange={setDraft}
                onSave={(d) => saveRule.mutate(d, { onSuccess: close })}
                onCancel={close}
                saving={saveRule.isPending}
                saveError={saveRule.error}
                canWrite={canWrite}
              />
            </Paper>
          )}
          {may('activity:read') && config.data && (
            <SimulatePanel actionCode={actionCode} defaultAction={defaultOutcome} rules={simulated} />
          )}
        </Stack>
      )}
    </>
  );
}

import { Alert, Button, Group, JsonInput, List, Select, Stack, Switch, Tabs, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../../api/client';
import { tenantKey, useApiQuery } from '../../api/hooks';
import { OUTCOMES, type Outcome, type RuleVariable, type ValidationResult } from '../../api/types';
import { ErrorNote } from '../../components/common';
import { type Group as BuilderGroup, fromJsonLogic, newCondition, newGroup, toJsonLogic } from './builder/model';
import { RuleBuilder } from './builder/RuleBuilder';

export interface RuleDraft {
  ruleId?: string;
  name: string;
  type: Outcome;
  isActive: boolean;
  priority: number;
  conditions: unknown;
}

interface Props {
  initial: RuleDraft;
  onSave(draft: RuleDraft): void;
  onCancel(): void;
  onDraftChange?(draft: RuleDraft): void;
  saving: boolean;
  saveError: unknown;
  canWrite: boolean;
}

/**
 * One rule: its name, outcome and conditions, written in the builder or as raw JsonLogic (each view
 * follows the other), and validated by the API against the variable catalogue as it changes.
 */
export function RuleEditor({ initial, onSave, onCancel, onDraftChange, saving, saveError, canWrite }: Props) {
  const catalogue = useApiQuery<RuleVariable[]>('/v1/management/rule-variables');
  const [draft, setDraftState] = useState(initial);
  const [tree, setTree] = useState<BuilderGroup | null>(
    () => fromJsonLogic(initial.conditions) ?? (initial.conditions ? null : newGroup('and', [newCondition()])),
  );
  const [raw, setRaw] = useState(() => JSON.stringify(initial.conditions ?? {}, null, 2));
  const [rawError, setRawError] = useState<string | null>(null);
  const [tab, setTab] = useState<string | null>(tree ? 'builder' : 'raw');
  const vars = catalogue.data ?? [];

  const setDraft = (next: RuleDraft) => {
    setDraftState(next);
    onDraftChange?.(next);
  };
  const fromBuilder = (next: BuilderGroup) => {
    setTree(next);
    const conditions = toJsonLogic(next, vars);
    setRaw(JSON.stringify(conditions, null, 2));
    setRawError(null);
    setDraft({ ...draft, conditions });
  };
  const fromRaw = (text: string) => {
    setRaw(text);
    try {
      const conditions = JSON.parse(text) as unknown;
      setRawError(null);
      setTree(fromJsonLogic(conditions));
      setDraft({ ...draft, conditions });
    } catch (err) {
      setRawError(err instanceof Error ? err.message : 'Not valid JSON');
    }
  };

  // The API's own check, as the operator types: the same messages the rule routes give.
  const [debounced] = useDebouncedValue(draft.conditions, 300);
  const validation = useQuery({
    queryKey: [...tenantKey('/v1/management/rules/validate'), JSON.stringify(debounced)],
    queryFn: () => api.post<ValidationResult>('/v1/management/rules/validate', { conditions: debounced }),
    placeholderData: (previous) => previous,
  });
  const invalid = validation.data ? !validation.data.valid : false;

  return (
    <Stack>
      <Group align="flex-end">
        <TextInput
          label="Rule name"
          value={draft.name}
          onChange={(e) => setDraft({ ...draft, name: e.currentTarget.value })}
          required
          w={280}
        />
        <Select
          label="Outcome when it matches"
          data={OUTCOMES}
          value={draft.type}
          onChange={(v) => v && setDraft({ ...draft, type: v as Outcome })}
          allowDeselect={false}
          w={200}
        />
        <Switch
          label="Active"
          checked={draft.isActive}
          onChange={(e) => setDraft({ ...draft, isActive: e.currentTarget.checked })}
        />
      </Group>
      <ErrorNote error={catalogue.error} title="The variable catalogue is not available" />
      <Tabs value={tab} onChange={setTab}>
        <Tabs.List>
          <Tabs.Tab value="builder">Builder</Tabs.Tab>
          <Tabs.Tab value="raw">Raw JSON</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="builder" pt="sm">
          {tree ? (
            <RuleBuilder root={tree} catalogue={vars} onChange={fromBuilder} />
          ) : (
            <Stack>
              <Text size="sm">
                These conditions use JsonLogic that the builder cannot draw. Edit them as raw JSON, or start over.
              </Text>
              <Button variant="default" w="fit-content" onClick={() => fromBuilder(newGroup('and', [newCondition()]))}>
                Start over in the builder
              </Button>
            </Stack>
          )}
        </Tabs.Panel>
        <Tabs.Panel value="raw" pt="sm">
          <JsonInput
            label="Conditions (JsonLogic)"
            value={raw}
            onChange={fromRaw}
            autosize
            minRows={6}
            error={rawError ?? undefined}
            formatOnBlur
          />
        </Tabs.Panel>
      </Tabs>
      <div aria-live="polite" data-testid="rule-validation">
        {validation.data?.valid && (
          <Text size="sm" c="teal.9">
            The conditions are valid.
          </Text>
        )}
        {invalid && (
          <Alert color="red" title="The API would refuse these conditions">
            <List size="sm">
              {validation.data?.errors.map((e) => (
                <List.Item key={`${e.path}:${e.message}`}>
                  {e.path ? `${e.path}: ` : ''}
                  {e.message}
                </List.Item>
              ))}
            </List>
          </Alert>
        )}
        <ErrorNote error={validation.error} title="Not checked" />
      </div>
      <ErrorNote error={saveError} title="Not saved" />
      <Group>
        <Button
          onClick={() => onSave(draft)}
          loading={saving}
          disabled={!canWrite || invalid || rawError !== null || !draft.name.trim()}
        >
          Save rule
        </Button>
        <Button variant="default" onClick={onCancel}>
          Cancel
        </Button>
      </Group>
    </Stack>
  );
}

import { Button, Fieldset, Group as Row, SegmentedControl, Select, Stack, TextInput } from '@mantine/core';
import type { RuleVariable } from '../../../api/types';
import { DangerButton } from '../../../components/common';
import {
  type Condition,
  catalogueEntry,
  type Group,
  newCondition,
  newGroup,
  type OperatorId,
  operatorsFor,
  patternOf,
  updateNode,
} from './model';

interface Props {
  root: Group;
  catalogue: RuleVariable[];
  onChange(root: Group): void;
  disabled?: boolean;
}

/**
 * The rule builder: groups of conditions joined by AND or OR, nested as deep as needed. Everything is
 * a labelled native control or a Mantine combobox, so it works from the keyboard alone (Tab between
 * fields, arrows and Enter in the lists).
 */
export function RuleBuilder({ root, catalogue, onChange, disabled }: Props) {
  return (
    <GroupEditor
      group={root}
      depth={0}
      catalogue={catalogue}
      disabled={disabled}
      onChange={(next) => onChange(next as Group)}
      onRemove={undefined}
      replace={(id, next) => onChange(updateNode(root, id, next))}
    />
  );
}

interface GroupProps {
  group: Group;
  depth: number;
  catalogue: RuleVariable[];
  disabled: boolean | undefined;
  onChange(group: Group): void;
  onRemove: (() => void) | undefined;
  replace(id: string, next: Condition | Group | null): void;
}

function GroupEditor({ group, depth, catalogue, disabled, onChange, onRemove, replace }: GroupProps) {
  const label = depth === 0 ? 'Conditions' : `Group at level ${depth + 1}`;
  return (
    <Fieldset legend={label} variant={depth === 0 ? 'default' : 'filled'} disabled={disabled}>
      <Stack gap="sm">
        <SegmentedControl
          aria-label={`${label}: match`}
          size="xs"
          value={group.combinator}
          onChange={(v) => onChange({ ...group, combinator: v as 'and' | 'or' })}
          data={[
            { value: 'and', label: 'All of these (AND)' },
            { value: 'or', label: 'Any of these (OR)' },
          ]}
        />
        {group.children.map((child, index) =>
          child.kind === 'group' ? (
            <GroupEditor
              key={child.id}
              group={child}
              depth={depth + 1}
              catalogue={catalogue}
              disabled={disabled}
              onChange={(next) => replace(child.id, next)}
              onRemove={() => replace(child.id, null)}
              replace={replace}
            />
          ) : (
            <ConditionEditor
              key={child.id}
              condition={child}
              position={`${label}, condition ${index + 1}`}
              catalogue={catalogue}
              onChange={(next) => replace(child.id, next)}
              onRemove={() => replace(child.id, null)}
            />
          ),
        )}
        <Row gap="xs">
          <Button
            size="xs"
            variant="light"
            onClick={() => onChange({ ...group, children: [...group.children, newCondition()] })}
          >
            Add condition
          </Button>
          <Button
            size="xs"
            variant="default"
            onClick={() => onChange({ ...group, children: [...group.children, newGroup('or', [newCondition()])] })}
          >
            Add group
          </Button>
          {onRemove && <DangerButton onClick={onRemove}>Remove group</DangerButton>}
        </Row>
      </Stack>
    </Fieldset>
  );
}

function ConditionEditor({
  condition,
  position,
  catalogue,
  onChange,
  onRemove,
}: {
  condition: Condition;
  position: string;
  catalogue: RuleVariable[];
  onChange(next: Condition): void;
  onRemove(): void;
}) {
  const entry = catalogueEntry(catalogue, condition.variable);
  const isPattern = entry?.name.includes('<') ?? false;
  const part = isPattern && entry ? (patternOf(entry.name).exec(condition.variable)?.[1] ?? '') : '';
  const partName = entry?.name.match(/<([^>]+)>/)?.[1] ?? '';
  // A variable outside the catalogue (or before it loads) is still shown, typed by its operator.
  const unary = condition.operator === 'isTrue' || condition.operator === 'isFalse';
  const operators = operatorsFor(entry?.type ?? (unary ? 'boolean' : 'string'));
  const options = catalogue.map((v) => ({ value: v.name, label: v.name }));
  if (!entry && condition.variable) options.unshift({ value: condition.variable, label: condition.variable });
  const operator = operators.find((o) => o.id === condition.operator) ?? operators[0];

  const pickVariable = (name: string | null) => {
    const picked = catalogue.find((v) => v.name === name);
    if (!picked) return;
    const ops = operatorsFor(picked.type);
    onChange({
      ...condition,
      variable: picked.name,
      operator: ops.some((o) => o.id === condition.operator) ? condition.operator : (ops[0]?.id as OperatorId),
    });
  };

  return (
    <Row align="flex-end" gap="xs" wrap="wrap" role="group" aria-label={position} data-testid="rule-condition">
      <Select
        label="Variable"
        placeholder="Choose a variable"
        searchable
        w={260}
        data={options}
        value={entry?.name ?? (condition.variable || null)}
        onChange={pickVariable}
        description={entry?.description}
        allowDeselect={false}
        comboboxProps={{ withinPortal: true }}
      />
      {isPattern && entry && (
        <TextInput
          label={partName === 'N' ? 'Minutes (N)' : `Name (${partName})`}
          w={120}
          value={part === `<${partName}>` ? '' : part}
          onChange={(e) =>
            onChange({
              ...condition,
              variable: entry.name.replace(/<[^>]+>/, e.currentTarget.value || `<${partName}>`),
            })
          }
        />
      )}
      <Select
        label="Operator"
        w={170}
        data={operators.map((o) => ({ value: o.id, label: o.label }))}
        value={operator?.id ?? null}
        onChange={(v) => v && onChange({ ...condition, operator: v as OperatorId })}
        allowDeselect={false}
      />
      {!operator?.unary && (
        <TextInput
          label="Value"
          w={200}
          placeholder={
            operator?.id === 'inList' || operator?.id === 'notInList' ? 'NZ, AU' : String(entry?.example ?? '')
          }
          description={operator?.id === 'inList' || operator?.id === 'notInList' ? 'Separate with commas.' : undefined}
          value={condition.value}
          onChange={(e) => onChange({ ...condition, value: e.currentTarget.value })}
        />
      )}
      <DangerButton onClick={onRemove} aria-label={`Remove ${position}`}>
        Remove
      </DangerButton>
    </Row>
  );
}

import { NumberInput, PasswordInput, Select, Stack, Switch, TextInput } from '@mantine/core';
import type { JsonSchema, ProviderSchema } from '../../api/types';

interface Props {
  schema: ProviderSchema;
  value: Record<string, unknown>;
  /** The provider is stored already, so a blank secret keeps the stored one. */
  stored: boolean;
  idPrefix: string;
  onChange(value: Record<string, unknown>): void;
}

const typeOf = (s: JsonSchema): string =>
  Array.isArray(s.type) ? (s.type.find((t) => t !== 'null') ?? 'string') : (s.type ?? 'string');

/**
 * A provider's form, generated from the JSON Schema the API validates the config with
 * (`GET /v1/management/sms-providers/schemas`): one field per property, its type, title, description
 * and whether it is required. Secrets are never shown; left blank, the stored one is kept.
 */
export function ProviderForm({ schema, value, stored, idPrefix, onChange }: Props) {
  const properties = Object.entries(schema.schema.properties ?? {}).filter(
    ([name]) => name !== 'type' && name !== 'id',
  );
  const required = new Set(schema.schema.required ?? []);
  const set = (name: string, v: unknown) => {
    const next = { ...value };
    if (v === '' || v === undefined || v === null) delete next[name];
    else next[name] = v;
    onChange(next);
  };
  return (
    <Stack gap="sm">
      {properties.map(([name, field]) => {
        const label = field.title ?? name;
        const id = `${idPrefix}-${name}`;
        const common = { id, label, description: field.description, required: required.has(name) };
        if (schema.secretFields.includes(name)) {
          return (
            <PasswordInput
              key={name}
              {...common}
              required={required.has(name) && !stored}
              description={[field.description, stored ? 'Stored and hidden: leave blank to keep it.' : undefined]
                .filter(Boolean)
                .join(' ')}
              placeholder={stored ? 'Leave blank to keep' : undefined}
              autoComplete="new-password"
              value={typeof value[name] === 'string' && !String(value[name]).includes('•') ? String(value[name]) : ''}
              onChange={(e) => set(name, e.currentTarget.value)}
            />
          );
        }
        if (field.enum) {
          return (
            <Select
              key={name}
              {...common}
              data={field.enum.map(String)}
              value={value[name] === undefined ? null : String(value[name])}
              onChange={(v) => set(name, v)}
              clearable={!required.has(name)}
            />
          );
        }
        const kind = typeOf(field);
        if (kind === 'boolean') {
          return (
            <Switch
              key={name}
              id={id}
              label={label}
              description={field.description}
              checked={value[name] === true}
              onChange={(e) => set(name, e.currentTarget.checked)}
            />
          );
        }
        if (kind === 'number' || kind === 'integer') {
          return (
            <NumberInput
              key={name}
              {...common}
              min={field.minimum}
              max={field.maximum}
              allowDecimal={kind === 'number'}
              value={typeof value[name] === 'number' ? (value[name] as number) : ''}
              onChange={(v) => set(name, typeof v === 'number' ? v : undefined)}
            />
          );
        }
        return (
          <TextInput
            key={name}
            {...common}
            maxLength={field.maxLength}
            value={typeof value[name] === 'string' ? (value[name] as string) : ''}
            onChange={(e) => set(name, e.currentTarget.value)}
          />
        );
      })}
    </Stack>
  );
}

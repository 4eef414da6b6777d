import { Alert, Badge, Button, Divider, Group, JsonInput, Paper, Select, Stack, Text, Title } from '@mantine/core';
import { useEffect, useState } from 'react';
import { describeError } from '../../api/client';
import { useApiMutation, useApiQuery } from '../../api/hooks';
import type { ProviderConfig, ProviderHealth, ProviderSchema } from '../../api/types';
import { CopyField, DangerButton, ErrorNote, PageTitle } from '../../components/common';
import { SortableList } from '../../components/SortableList';
import { useSession } from '../../session';
import { ProviderForm } from './ProviderForm';
import { TestSms } from './TestSms';

interface Draft {
  key: string;
  config: Record<string, unknown>;
  /** Saved before: its blank secrets are kept by the server (it is matched by `id`). */
  stored: boolean;
}

let nextKey = 0;
const draftOf = (config: ProviderConfig, stored: boolean): Draft => {
  const { receiptUrl: _receipt, ...rest } = config;
  nextKey += 1;
  return { key: String(config.id ?? `new-${nextKey}`), config: rest, stored };
};

const BREAKER: Record<ProviderHealth['breaker'], { color: string; words: string }> = {
  closed: { color: 'green', words: 'Healthy' },
  half_open: { color: 'yellow', words: 'Recovering: trying again' },
  open: { color: 'red', words: 'Failing: skipped for now' },
};

/** SMS delivery: the providers in the order they are tried, each one's form, health and receipt URL. */
export default function SmsPage() {
  const { may } = useSession();
  const canWrite = may('config:write');
  const providers = useApiQuery<{ providers: ProviderConfig[] }>('/v1/management/sms-providers');
  const schemas = useApiQuery<{ providers: ProviderSchema[] }>('/v1/management/sms-providers/schemas');
  const health = useApiQuery<ProviderHealth[]>('/v1/management/sms-providers/health', { refetchInterval: 15_000 });
  const [drafts, setDrafts] = useState<Draft[] | null>(null);
  const [dirty, setDirty] = useState(false);
  const [adding, setAdding] = useState<string | null>(null);
  const save = useApiMutation<Record<string, unknown>[], { providers: ProviderConfig[] }>(
    (list) => ({ method: 'PUT', path: '/v1/management/sms-providers', body: { providers: list } }),
    ['/v1/management/sms-providers'],
  );

  useEffect(() => {
    if (providers.data && !dirty) setDrafts(providers.data.providers.map((p) => draftOf(p, true)));
  }, [providers.data, dirty]);

  const schemaOf = (type: unknown) => schemas.data?.providers.find((s) => s.type === type);
  const update = (next: Draft[]) => {
    setDrafts(next);
    setDirty(true);
  };
  const receiptOf = (draft: Draft, index: number) =>
    (draft.stored
      ? providers.data?.providers.find((p, i) => (p.id ?? i) === (draft.config.id ?? index))?.receiptUrl
      : undefined) ??
    schemaOf(draft.config.type)?.receiptUrl ??
    undefined;

  const onSave = () => {
    if (!drafts) return;
    save.mutate(
      drafts.map((d) => d.config),
      { onSuccess: () => setDirty(false) },
    );
  };

  return (
    <>
      <PageTitle description="Sigil tries these providers in order and fails over to the next one when a provider cannot deliver.">
        SMS delivery
      </PageTitle>
      <ErrorNote error={providers.error} />
      {schemas.error && (
        <Alert color="yellow" mb="md">
          The provider forms are not available ({describeError(schemas.error)}); each provider is shown as JSON.
        </Alert>
      )}
      <Stack>
        <Title order={2} size="h4">
          Providers, in the order they are tried
        </Title>
        {drafts && drafts.length === 0 && <Text>No provider yet: add one below.</Text>}
        {drafts && (
          <SortableList
            items={drafts}
            idOf={(d) => d.key}
            labelOf={(d) => schemaOf(d.config.type)?.title ?? String(d.config.type)}
            onReorder={update}
          >
            {(draft, index) => {
              const schema = schemaOf(draft.config.type);
              const state = health.data?.find((h) => h.index === index);
              const receipt = receiptOf(draft, index);
              const setConfig = (config: Record<string, unknown>) =>
                update(drafts.map((d) => (d.key === draft.key ? { ...d, config } : d)));
              return (
                <Stack gap="sm" data-testid={`provider-${index}`}>
                  <Group justify="space-between">
                    <Title order={3} size="h5">
                      {index + 1}. {schema?.title ?? String(draft.config.type)}
                    </Title>
                    <Group gap="xs">
                      {state && !dirty && (
                        <Badge
                          color={BREAKER[state.breaker].color}
                          variant="light"
                          title={state.lastError ?? undefined}
                        >
                          {BREAKER[state.breaker].words}
                        </Badge>
                      )}
                      <DangerButton
                        disabled={!canWrite}
                        onClick={() => update(drafts.filter((d) => d.key !== draft.key))}
                      >
                        Remove
                      </DangerButton>
                    </Group>
                  </Group>
                  {state?.lastError && !dirty && (
                    <Text size="sm" c="red.9">
                      Last failure: {state.lastError}
                    </Text>
                  )}
                  {schema ? (
                    <ProviderForm
                      schema={schema}
                      value={draft.config}
                      stored={draft.stored}
                      idPrefix={`provider-${draft.key}`}
                      onChange={setConfig}
                    />
                  ) : (
                    <RawProvider value={draft.config} onChange={setConfig} />
                  )}
                  {receipt && (
                    <Stack gap={2}>
                      <Text size="sm" fw={500}>
                        Delivery receipt URL (paste it into the vendor's console)
                      </Text>
                      <CopyField label="receipt URL" value={receipt} />
                    </Stack>
                  )}
                </Stack>
              );
            }}
          </SortableList>
        )}
        <Group align="flex-end">
          <Select
            label="Add a provider"
            placeholder="Choose a vendor"
            data={(schemas.data?.providers ?? []).map((s) => ({ value: s.type, label: s.title }))}
            value={adding}
            onChange={setAdding}
          />
          <Button
            variant="default"
            disabled={!adding || !canWrite}
            onClick={() => {
              if (!adding || !drafts) return;
              update([...drafts, draftOf({ type: adding }, false)]);
              setAdding(null);
            }}
          >
            Add
          </Button>
        </Group>
        <Group>
          <Button onClick={onSave} loading={save.isPending} disabled={!dirty || !canWrite}>
            Save providers
          </Button>
          {dirty && (
            <Button variant="subtle" onClick={() => setDirty(false)}>
              Discard changes
            </Button>
          )}
          {save.isSuccess && !dirty && (
            <Text role="status" size="sm" c="teal.9">
              Saved.
            </Text>
          )}
        </Group>
        <ErrorNote error={save.error} title="Not saved" />
        <Divider />
        <Paper>
          {dirty && (
            <Text size="sm" mb="xs">
              Save first: the test uses the saved providers.
            </Text>
          )}
          <TestSms
            canWrite={canWrite}
            providers={(providers.data?.providers ?? []).map((p) => schemaOf(p.type)?.title ?? p.type)}
          />
        </Paper>
      </Stack>
    </>
  );
}

function RawProvider({
  value,
  onChange,
}: {
  value: Record<string, unknown>;
  onChange(v: Record<string, unknown>): void;
}) {
  const [text, setText] = useState(JSON.stringify(value, null, 2));
  return (
    <JsonInput
      label="Configuration (JSON)"
      value={text}
      autosize
      minRows={3}
      validationError="Not valid JSON"
      onChange={(t) => {
        setText(t);
        try {
          onChange(JSON.parse(t) as Record<string, unknown>);
        } catch {
          // Keep typing.
        }
      }}
    />
  );
}

import { Alert, Badge, Button, Code, Group, Paper, Stack, Text, Textarea, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { api } from '../../api/client';
import { tenantKey, useApiMutation } from '../../api/hooks';
import type { TemplatePreview, TemplateSettings } from '../../api/types';
import { ErrorNote } from '../../components/common';

interface Props {
  locale: string;
  initial: string;
  builtIn: boolean;
  settings: TemplateSettings;
  canWrite: boolean;
  onDeleted(): void;
}

/** One locale's template, with the message as it will be sent, re-rendered as the operator types. */
export function TemplateEditor({ locale, initial, builtIn, settings, canWrite, onDeleted }: Props) {
  const [text, setText] = useState(initial);
  useEffect(() => setText(initial), [initial]);
  const [debounced] = useDebouncedValue(text, 250);
  const preview = useQuery({
    queryKey: [...tenantKey('/v1/management/sms-templates/preview'), locale, debounced],
    queryFn: () =>
      api.post<TemplatePreview>('/v1/management/sms-templates/preview', {
        template: debounced,
        locale,
        ...(settings.androidAppHash ? { appHash: settings.androidAppHash } : {}),
        ...(settings.webOtpDomain ? { webOtpDomain: settings.webOtpDomain } : {}),
      }),
    placeholderData: (previous) => previous,
    enabled: debounced.length > 0,
  });
  const save = useApiMutation<string>(
    (t) => ({ method: 'PUT', path: `/v1/management/sms-templates/${encodeURIComponent(locale)}`, body: { text: t } }),
    ['/v1/management/sms-templates'],
  );
  const remove = useApiMutation<void>(
    () => ({ method: 'DELETE', path: `/v1/management/sms-templates/${encodeURIComponent(locale)}` }),
    ['/v1/management/sms-templates'],
  );
  const p = preview.data;
  const over = p ? p.segments > settings.maxSegments : false;

  return (
    <Paper withBorder p="md">
      <Stack>
        <Group justify="space-between">
          <Title order={2} size="h4">
            Template for {locale}
          </Title>
          {builtIn && <Badge variant="light">Sigil's default</Badge>}
        </Group>
        <Textarea
          label="Message template"
          description="Placeholders: {code} (required), {appName}, {expiresInMinutes}."
          autosize
          minRows={3}
          value={text}
          onChange={(e) => setText(e.currentTarget.value)}
          readOnly={!canWrite}
        />
        <Stack gap={4} aria-live="polite" data-testid="template-preview">
          <Text size="sm" fw={500}>
            Preview, with a sample code
          </Text>
          <Code block>{p?.text ?? '…'}</Code>
          {p && (
            <Group gap="xs">
              <Badge variant="light" color={p.encoding === 'GSM-7' ? 'green' : 'orange'}>
                {p.encoding}
              </Badge>
              <Badge variant="light" color={over ? 'red' : 'blue'} data-testid="segment-count">
                {p.segments} {p.segments === 1 ? 'segment' : 'segments'}
              </Badge>
              <Text size="sm">
                {p.characters} characters, {p.charactersPerSegment} per segment
                {over ? `; over the limit of ${settings.maxSegments}` : ''}
              </Text>
            </Group>
          )}
          {p?.encoding === 'UCS-2' && (
            <Text size="sm">
              A character outside GSM-7 makes the whole message UCS-2, which fits far fewer per segment.
            </Text>
          )}
          {p?.lines.webOtp && (
            <Text size="sm">
              WebOTP line: <Code>{p.lines.webOtp}</Code>
            </Text>
          )}
          {p?.lines.appHash && (
            <Text size="sm">
              Android app-hash line: <Code>{p.lines.appHash}</Code>
            </Text>
          )}
          {p?.errors.map((e) => (
            <Alert key={e.message} color="red">
              {e.message}
            </Alert>
          ))}
          <ErrorNote error={preview.error} title="No preview" />
        </Stack>
        <Group>
          <Button onClick={() => save.mutate(text)} loading={save.isPending} disabled={!canWrite || text === initial}>
            Save template
          </Button>
          {!builtIn && (
            <Button
              variant="subtle"
              color="red"
              disabled={!canWrite}
              loading={remove.isPending}
              onClick={() => remove.mutate(undefined, { onSuccess: onDeleted })}
            >
              Delete template
            </Button>
          )}
          {save.isSuccess && text === initial && (
            <Text size="sm" role="status" c="teal.9">
              Saved.
            </Text>
          )}
        </Group>
        <ErrorNote error={save.error ?? remove.error} title="Not saved" />
      </Stack>
    </Paper>
  );
}

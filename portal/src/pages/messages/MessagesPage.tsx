import { Button, Grid, Group, NavLink, Stack, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { useApiQuery } from '../../api/hooks';
import type { TemplateSettings } from '../../api/types';
import { ErrorNote, PageTitle } from '../../components/common';
import { useSession } from '../../session';
import { TemplateEditor } from './TemplateEditor';

const NEW_TEMPLATE = 'Your {appName} code is {code}. It expires in {expiresInMinutes} minutes.';

/** Messages: the SMS template of each locale, with a live preview. */
export default function MessagesPage() {
  const { may } = useSession();
  const settings = useApiQuery<TemplateSettings>('/v1/management/sms-templates');
  const [selected, setSelected] = useState<string | null>(null);
  const [newLocale, setNewLocale] = useState('');
  const [drafts, setDrafts] = useState<string[]>([]);
  const data = settings.data;
  const locales = [
    ...(data?.templates.map((t) => t.locale) ?? []),
    ...drafts.filter((d) => !data?.templates.some((t) => t.locale === d)),
  ];
  const current = selected ?? locales[0] ?? null;
  const template = data?.templates.find((t) => t.locale === current);

  return (
    <>
      <PageTitle description="The text of the SMS that carries the code, per locale. The user's locale picks it; “default” is the fallback.">
        Messages
      </PageTitle>
      <ErrorNote error={settings.error} />
      {data && (
        <Grid>
          <Grid.Col span={{ base: 12, md: 3 }}>
            <Stack gap={4} component="nav" aria-label="Locales">
              {locales.map((locale) => (
                <NavLink
                  key={locale}
                  label={locale}
                  active={locale === current}
                  onClick={() => setSelected(locale)}
                  component="button"
                  aria-current={locale === current ? 'true' : undefined}
                />
              ))}
              <form
                onSubmit={(e) => {
                  e.preventDefault();
                  const locale = newLocale.trim();
                  if (!locale) return;
                  setDrafts([...drafts, locale]);
                  setSelected(locale);
                  setNewLocale('');
                }}
              >
                <Group align="flex-end" gap="xs" mt="sm">
                  <TextInput
                    label="New locale"
                    placeholder="fr-CA"
                    size="xs"
                    value={newLocale}
                    onChange={(e) => setNewLocale(e.currentTarget.value)}
                  />
                  <Button type="submit" size="xs" variant="default" disabled={!may('config:write')}>
                    Add
                  </Button>
                </Group>
              </form>
            </Stack>
          </Grid.Col>
          <Grid.Col span={{ base: 12, md: 9 }}>
            <Text size="sm" mb="xs">
              App name <b>{data.appName}</b>; at most {data.maxSegments} segments per message.
            </Text>
            {current && (
              <TemplateEditor
                key={current}
                locale={current}
                initial={template?.text ?? NEW_TEMPLATE}
                builtIn={template?.builtIn ?? false}
                settings={data}
                canWrite={may('config:write')}
                onDeleted={() => {
                  setDrafts(drafts.filter((d) => d !== current));
                  setSelected(null);
                }}
              />
            )}
          </Grid.Col>
        </Grid>
      )}
    </>
  );
}

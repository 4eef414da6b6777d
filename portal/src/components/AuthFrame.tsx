import { Center, Paper, Stack, Text } from '@mantine/core';
import type { ReactNode } from 'react';
import { PageTitle } from './common';

/** The centred card of the pages before sign-in. */
export function AuthFrame({
  title,
  description,
  children,
}: {
  title: string;
  description?: ReactNode;
  children: ReactNode;
}) {
  return (
    <Center mih="100vh" p="md" component="main">
      <Paper withBorder shadow="sm" p="xl" w={420} maw="100%">
        <Stack>
          <Text fw={700} c="indigo.8">
            Sigil portal
          </Text>
          <PageTitle description={description}>{title}</PageTitle>
          {children}
        </Stack>
      </Paper>
    </Center>
  );
}

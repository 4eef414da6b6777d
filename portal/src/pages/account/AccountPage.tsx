import { Alert, Badge, Group, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../../api/client';
import { useApiMutation } from '../../api/hooks';
import type { OwnSession } from '../../api/types';
import { DangerButton, ErrorNote, formatTime, PageTitle } from '../../components/common';
import { useSession } from '../../session';
import { TotpEnrolment } from './TotpEnrolment';

/** Your account: the authenticator (TOTP) and your own sessions. */
export default function AccountPage() {
  const { me, refresh } = useSession();
  const client = useQueryClient();
  const sessions = useQuery({
    queryKey: ['own-sessions'],
    queryFn: () => api.get<OwnSession[]>('/v1/portal/sessions'),
  });
  const revoke = useApiMutation<string>((id) => ({
    method: 'DELETE',
    path: `/v1/portal/sessions/${encodeURIComponent(id)}`,
  }));
  const removeTotp = useApiMutation<void>(() => ({ method: 'DELETE', path: '/v1/portal/mfa/totp' }));
  if (!me) return null;
  const enrolling = me.session.status === 'mfa_enrolment_required';

  return (
    <>
      <PageTitle description={me.account.email}>Account and security</PageTitle>
      <Stack>
        {enrolling && (
          <Alert color="yellow" title="Set up two-step verification to continue" role="status">
            This server requires an authenticator for every operator.
          </Alert>
        )}
        <Paper withBorder p="md">
          <Stack>
            <Group justify="space-between">
              <Title order={2} size="h4">
                Two-step verification
              </Title>
              <Badge color={me.account.mfaEnabled ? 'green' : 'gray'} variant="light">
                {me.account.mfaEnabled ? 'On' : 'Off'}
              </Badge>
            </Group>
            {me.account.mfaEnabled ? (
              <Group>
                <Text size="sm">Sign-in asks for a code from your authenticator app.</Text>
                {!me.mfaMandatory && (
                  <DangerButton
                    loading={removeTotp.isPending}
                    onClick={() => removeTotp.mutate(undefined, { onSuccess: () => void refresh() })}
                  >
                    Turn off
                  </DangerButton>
                )}
              </Group>
            ) : (
              <TotpEnrolment onDone={() => void refresh()} />
            )}
            <ErrorNote error={removeTotp.error} />
          </Stack>
        </Paper>
        {!enrolling && (
          <Paper withBorder p="md">
            <Title order={2} size="h4" mb="sm">
              Your sessions
            </Title>
            <ErrorNote error={sessions.error} />
            <Table withTableBorder>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Signed in</Table.Th>
                  <Table.Th>Last active</Table.Th>
                  <Table.Th>From</Table.Th>
                  <Table.Th>
                    <span className="sigil-skip-link">Actions</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {(sessions.data ?? []).map((s) => (
                  <Table.Tr key={s.sessionId}>
                    <Table.Td>
                      {formatTime(s.createdAt)} {s.current && <Badge variant="light">this one</Badge>}
                    </Table.Td>
                    <Table.Td>{formatTime(s.lastSeenAt)}</Table.Td>
                    <Table.Td>{[s.ipAddress, s.userAgent].filter(Boolean).join(' · ') || '—'}</Table.Td>
                    <Table.Td>
                      {!s.current && (
                        <DangerButton
                          onClick={() =>
                            revoke.mutate(s.sessionId, {
                              onSuccess: () => client.invalidateQueries({ queryKey: ['own-sessions'] }),
                            })
                          }
                        >
                          Revoke
                        </DangerButton>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            <ErrorNote error={revoke.error} />
          </Paper>
        )}
      </Stack>
    </>
  );
}

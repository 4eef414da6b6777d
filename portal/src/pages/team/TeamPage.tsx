import { Button, Group, Paper, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { ROLES } from '../../../../src/modules/operators/roles.js';
import { useApiMutation, useApiQuery } from '../../api/hooks';
import type { Invite, Member, Role } from '../../api/types';
import { DangerButton, ErrorNote, formatTime, PageTitle, ShownOnceDialog } from '../../components/common';
import { useSession } from '../../session';
import { CreateTenant } from './CreateTenant';

/** Team: the tenant's members and their roles, invitations, and (for owners) new tenants. */
export default function TeamPage() {
  const { me, membership, may } = useSession();
  const canWrite = may('team:write');
  const isOwner = membership?.role === 'owner';
  const roles = ROLES.filter((r) => isOwner || r !== 'owner');
  const members = useApiQuery<Member[]>('/v1/management/members');
  const invites = useApiQuery<Invite[]>('/v1/management/invites');
  const changeRole = useApiMutation<{ accountId: string; role: Role }>(
    ({ accountId, role }) => ({
      method: 'PATCH',
      path: `/v1/management/members/${encodeURIComponent(accountId)}`,
      body: { role },
    }),
    ['/v1/management/members'],
  );
  const remove = useApiMutation<string>(
    (id) => ({ method: 'DELETE', path: `/v1/management/members/${encodeURIComponent(id)}` }),
    ['/v1/management/members'],
  );
  const invite = useApiMutation<{ email: string; role: Role }, Invite>(
    (body) => ({ method: 'POST', path: '/v1/management/invites', body }),
    ['/v1/management/invites'],
  );
  const cancel = useApiMutation<string>(
    (id) => ({ method: 'DELETE', path: `/v1/management/invites/${encodeURIComponent(id)}` }),
    ['/v1/management/invites'],
  );
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('developer');
  const [link, setLink] = useState<string | null>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    invite.mutate(
      { email, role },
      {
        onSuccess: (created) => {
          setLink(created.link ?? null);
          setEmail('');
        },
      },
    );
  };

  return (
    <>
      <PageTitle
        description={`The people who operate ${membership?.tenantName ?? 'this tenant'}, and what each may do.`}
      >
        Team
      </PageTitle>
      <Stack>
        <ErrorNote error={members.error ?? changeRole.error ?? remove.error} />
        <Table withTableBorder striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Member</Table.Th>
              <Table.Th>Role</Table.Th>
              <Table.Th>Two-step</Table.Th>
              <Table.Th>Joined</Table.Th>
              <Table.Th>
                <span className="sigil-skip-link">Actions</span>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(members.data ?? []).map((m) => (
              <Table.Tr key={m.accountId}>
                <Table.Td>{m.email}</Table.Td>
                <Table.Td>
                  <Select
                    aria-label={`Role of ${m.email}`}
                    size="xs"
                    w={140}
                    data={m.role === 'owner' && !isOwner ? [...ROLES] : roles}
                    value={m.role}
                    disabled={!canWrite || (m.role === 'owner' && !isOwner)}
                    allowDeselect={false}
                    onChange={(v) =>
                      v && v !== m.role && changeRole.mutate({ accountId: m.accountId, role: v as Role })
                    }
                  />
                </Table.Td>
                <Table.Td>{m.mfaEnabled ? 'On' : 'Off'}</Table.Td>
                <Table.Td>{formatTime(m.joinedAt)}</Table.Td>
                <Table.Td>
                  {m.accountId !== me?.account.accountId && (
                    <DangerButton
                      disabled={!canWrite}
                      onClick={() => remove.mutate(m.accountId)}
                      aria-label={`Remove ${m.email}`}
                    >
                      Remove
                    </DangerButton>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>

        <Paper withBorder p="md">
          <form onSubmit={submit} aria-labelledby="invite-title">
            <Stack gap="sm">
              <Title order={2} size="h4" id="invite-title">
                Invite a member
              </Title>
              <Group align="flex-end">
                <TextInput
                  label="Email"
                  type="email"
                  value={email}
                  onChange={(e) => setEmail(e.currentTarget.value)}
                  required
                  w={280}
                />
                <Select
                  label="Role"
                  data={roles}
                  value={role}
                  onChange={(v) => v && setRole(v as Role)}
                  allowDeselect={false}
                  w={160}
                />
                <Button type="submit" loading={invite.isPending} disabled={!canWrite}>
                  Create invitation
                </Button>
              </Group>
              <ErrorNote error={invite.error} title="No invitation" />
            </Stack>
          </form>
        </Paper>

        <Title order={2} size="h4">
          Open invitations
        </Title>
        <ErrorNote error={invites.error ?? cancel.error} />
        {(invites.data ?? []).length === 0 ? (
          <Text size="sm">None.</Text>
        ) : (
          <Table withTableBorder>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Email</Table.Th>
                <Table.Th>Role</Table.Th>
                <Table.Th>Expires</Table.Th>
                <Table.Th>
                  <span className="sigil-skip-link">Actions</span>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {(invites.data ?? []).map((i) => (
                <Table.Tr key={i.inviteId}>
                  <Table.Td>{i.email}</Table.Td>
                  <Table.Td>{i.role}</Table.Td>
                  <Table.Td>{formatTime(i.expiresAt)}</Table.Td>
                  <Table.Td>
                    <DangerButton
                      disabled={!canWrite}
                      onClick={() => cancel.mutate(i.inviteId)}
                      aria-label={`Cancel the invitation of ${i.email}`}
                    >
                      Cancel
                    </DangerButton>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        {isOwner && <CreateTenant />}
      </Stack>
      <ShownOnceDialog title="Invitation link" label="invitation link" value={link} onClose={() => setLink(null)}>
        <Text size="sm">Send this link to the person you invited. It works once, for 7 days.</Text>
      </ShownOnceDialog>
    </>
  );
}

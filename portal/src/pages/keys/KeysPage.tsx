import { Badge, Button, Group, NumberInput, Paper, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { useApiMutation, useApiQuery } from '../../api/hooks';
import type { ApiKey, TenantInfo } from '../../api/types';
import { CopyField, DangerButton, ErrorNote, formatTime, PageTitle, ShownOnceDialog } from '../../components/common';
import { useSession } from '../../session';
import { SigningKeys } from './SigningKeys';

const STATUS_COLOR: Record<ApiKey['status'], string> = {
  active: 'green',
  expiring: 'yellow',
  revoked: 'gray',
  expired: 'gray',
};

/** API keys: what to give the SDKs, the server and management keys, and the token-signing keys. */
export default function KeysPage() {
  const { may } = useSession();
  const canWrite = may('keys:write');
  const tenant = useApiQuery<TenantInfo>('/v1/management/tenant');
  const keys = useApiQuery<ApiKey[]>('/v1/management/api-keys');
  const create = useApiMutation<{ kind: ApiKey['kind']; name?: string }, ApiKey>(
    (body) => ({ method: 'POST', path: '/v1/management/api-keys', body }),
    ['/v1/management/api-keys'],
  );
  const rotate = useApiMutation<{ keyId: string; gracePeriodMinutes: number }, ApiKey>(
    ({ keyId, gracePeriodMinutes }) => ({
      method: 'POST',
      path: `/v1/management/api-keys/${encodeURIComponent(keyId)}/rotate`,
      body: { gracePeriodMinutes },
    }),
    ['/v1/management/api-keys'],
  );
  const revoke = useApiMutation<string>(
    (keyId) => ({ method: 'DELETE', path: `/v1/management/api-keys/${encodeURIComponent(keyId)}` }),
    ['/v1/management/api-keys'],
  );
  const [kind, setKind] = useState<ApiKey['kind']>('server');
  const [name, setName] = useState('');
  const [grace, setGrace] = useState<number>(60);
  const [secret, setSecret] = useState<string | null>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ kind, ...(name ? { name } : {}) }, { onSuccess: (k) => setSecret(k.secret ?? null) });
    setName('');
  };

  return (
    <>
      <PageTitle description="What your backend and apps need to talk to Sigil.">API keys</PageTitle>
      <Stack>
        <ErrorNote error={tenant.error} />
        {tenant.data && (
          <Paper withBorder p="md">
            <Title order={2} size="h4" mb="sm">
              For the SDKs
            </Title>
            <Stack gap="xs">
              <Text size="sm">Tenant ID</Text>
              <CopyField label="tenant ID" value={tenant.data.tenantId} />
              <Text size="sm">Server API URL (apiUrl / baseUrl of @authsignal/node and the other server SDKs)</Text>
              <CopyField label="server API URL" value={tenant.data.urls.serverApi} />
              <Text size="sm">Client API URL (baseUrl of @authsignal/browser and the mobile SDKs)</Text>
              <CopyField label="client API URL" value={tenant.data.urls.clientApi} />
              <Text size="sm">Management API URL</Text>
              <CopyField label="management API URL" value={tenant.data.urls.managementApi} />
              <Text size="sm">JWKS (to verify Sigil's tokens)</Text>
              <CopyField label="JWKS URL" value={tenant.data.urls.jwks} />
            </Stack>
          </Paper>
        )}
        <Title order={2} size="h4">
          Secret keys
        </Title>
        <ErrorNote error={keys.error ?? rotate.error ?? revoke.error} />
        <Group align="flex-end">
          <NumberInput
            label="Grace period when rotating (minutes)"
            description="The old key keeps working this long; 0 revokes it at once."
            min={0}
            max={10080}
            value={grace}
            onChange={(v) => setGrace(Number(v) || 0)}
            w={300}
          />
        </Group>
        <Table withTableBorder striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Kind</Table.Th>
              <Table.Th>Key</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Last used</Table.Th>
              <Table.Th>
                <span className="sigil-skip-link">Actions</span>
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(keys.data ?? []).map((k) => (
              <Table.Tr key={k.keyId}>
                <Table.Td>{k.name}</Table.Td>
                <Table.Td>{k.kind}</Table.Td>
                <Table.Td>
                  <code>{k.hint}</code>
                </Table.Td>
                <Table.Td>
                  <Badge color={STATUS_COLOR[k.status]} variant="light">
                    {k.status}
                  </Badge>
                  {k.expiresAt && k.status === 'expiring' && <Text size="xs">until {formatTime(k.expiresAt)}</Text>}
                </Table.Td>
                <Table.Td>{formatTime(k.lastUsedAt)}</Table.Td>
                <Table.Td>
                  {(k.status === 'active' || k.status === 'expiring') && (
                    <Group gap="xs" wrap="nowrap">
                      <Button
                        size="xs"
                        variant="default"
                        disabled={!canWrite || k.status !== 'active'}
                        onClick={() =>
                          rotate.mutate(
                            { keyId: k.keyId, gracePeriodMinutes: grace },
                            { onSuccess: (n) => setSecret(n.secret ?? null) },
                          )
                        }
                        aria-label={`Rotate ${k.name}`}
                      >
                        Rotate
                      </Button>
                      <DangerButton
                        disabled={!canWrite}
                        onClick={() => revoke.mutate(k.keyId)}
                        aria-label={`Revoke ${k.name}`}
                      >
                        Revoke
                      </DangerButton>
                    </Group>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <form onSubmit={submit} aria-label="Create a key">
          <Group align="flex-end">
            <Select
              label="Kind"
              data={[
                { value: 'server', label: 'Server API key' },
                { value: 'management', label: 'Management key' },
              ]}
              value={kind}
              onChange={(v) => v && setKind(v as ApiKey['kind'])}
              allowDeselect={false}
            />
            <TextInput label="Name (optional)" value={name} onChange={(e) => setName(e.currentTarget.value)} />
            <Button type="submit" disabled={!canWrite} loading={create.isPending}>
              Create key
            </Button>
          </Group>
        </form>
        <ErrorNote error={create.error} title="No key created" />
        <SigningKeys canWrite={canWrite} />
      </Stack>
      <ShownOnceDialog title="Your new secret key" label="secret key" value={secret} onClose={() => setSecret(null)} />
    </>
  );
}

import { Badge, Button, Group, Stack, Table, Title } from '@mantine/core';
import { useApiMutation, useApiQuery } from '../../api/hooks';
import type { SigningKey } from '../../api/types';
import { DangerButton, ErrorNote, formatTime } from '../../components/common';

/** The ES256 keys that sign Sigil's tokens: rotate to a new one (old ones still verify), retire old ones. */
export function SigningKeys({ canWrite }: { canWrite: boolean }) {
  const keys = useApiQuery<SigningKey[]>('/v1/management/signing-keys');
  const rotate = useApiMutation<void>(
    () => ({ method: 'POST', path: '/v1/management/signing-keys' }),
    ['/v1/management/signing-keys'],
  );
  const retire = useApiMutation<string>(
    (keyId) => ({ method: 'POST', path: `/v1/management/signing-keys/${encodeURIComponent(keyId)}/retire` }),
    ['/v1/management/signing-keys'],
  );
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2} size="h4">
          Token-signing keys
        </Title>
        <Button
          size="xs"
          variant="default"
          disabled={!canWrite}
          loading={rotate.isPending}
          onClick={() => rotate.mutate()}
        >
          Rotate signing key
        </Button>
      </Group>
      <ErrorNote error={keys.error ?? rotate.error ?? retire.error} />
      <Table withTableBorder>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Key ID</Table.Th>
            <Table.Th>Algorithm</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Created</Table.Th>
            <Table.Th>
              <span className="sigil-skip-link">Actions</span>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {(keys.data ?? []).map((k) => (
            <Table.Tr key={k.keyId}>
              <Table.Td>
                <code>{k.keyId}</code>
              </Table.Td>
              <Table.Td>{k.algorithm}</Table.Td>
              <Table.Td>
                <Badge variant="light" color={k.status === 'active' ? 'green' : 'gray'}>
                  {k.current ? 'signing' : k.status}
                </Badge>
              </Table.Td>
              <Table.Td>{formatTime(k.createdAt)}</Table.Td>
              <Table.Td>
                {k.status === 'active' && !k.current && (
                  <DangerButton
                    disabled={!canWrite}
                    onClick={() => retire.mutate(k.keyId)}
                    aria-label={`Retire ${k.keyId}`}
                  >
                    Retire
                  </DangerButton>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

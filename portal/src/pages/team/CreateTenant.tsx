import { Button, Group, Paper, Stack, Text, TextInput, Title } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { api, describeError } from '../../api/client';
import { CopyField, ShownOnceDialog } from '../../components/common';
import { useSession } from '../../session';

interface Created {
  tenantId: string;
  name: string;
  apiSecretKey: string;
  managementSecretKey: string;
}

/** Owners create tenants; the creator becomes the new tenant's owner and sees its keys once. */
export function CreateTenant() {
  const { refresh, selectTenant } = useSession();
  const [name, setName] = useState('');
  const [created, setCreated] = useState<Created | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setCreated(await api.post<Created>('/v1/portal/tenants', { name }));
      setName('');
      await refresh();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Paper withBorder p="md">
      <form onSubmit={submit} aria-labelledby="tenant-title">
        <Stack gap="sm">
          <Title order={2} size="h4" id="tenant-title">
            Create a tenant
          </Title>
          <Group align="flex-end">
            <TextInput label="Tenant name" value={name} onChange={(e) => setName(e.currentTarget.value)} required />
            <Button type="submit" loading={busy} variant="default">
              Create tenant
            </Button>
          </Group>
          {error && (
            <Text c="red.9" role="alert" size="sm">
              {error}
            </Text>
          )}
        </Stack>
      </form>
      <ShownOnceDialog
        title={`Tenant ${created?.name ?? ''} created`}
        label="server API secret key"
        value={created?.apiSecretKey ?? null}
        onClose={() => {
          if (created) selectTenant(created.tenantId);
          setCreated(null);
        }}
      >
        {created && (
          <Stack gap="xs">
            <Text size="sm">Management key:</Text>
            <CopyField label="management secret key" value={created.managementSecretKey} />
            <Text size="sm">Tenant ID:</Text>
            <CopyField label="tenant ID" value={created.tenantId} />
          </Stack>
        )}
      </ShownOnceDialog>
    </Paper>
  );
}

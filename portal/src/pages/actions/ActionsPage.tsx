import { Anchor, Badge, Button, Group, Table, Text, TextInput } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { useApiQuery } from '../../api/hooks';
import type { ActionConfig, ActionSummary } from '../../api/types';
import { ErrorNote, formatTime, PageTitle } from '../../components/common';
import { useSession } from '../../session';

const COLUMNS: [keyof ActionSummary['last24h'], string, string][] = [
  ['ALLOW', 'Allowed', 'green'],
  ['CHALLENGE_REQUIRED', 'Challenged', 'blue'],
  ['REVIEW_REQUIRED', 'Review', 'orange'],
  ['BLOCK', 'Blocked', 'red'],
];

/** Every action code: when it was last seen, and its outcomes in the last 24 hours. */
export default function ActionsPage() {
  const { may } = useSession();
  const navigate = useNavigate();
  const summary = useApiQuery<ActionSummary[]>(may('activity:read') ? '/v1/management/actions/summary' : null);
  // Without the summary (a viewer may read it; an older server has none), list the configured actions.
  const configs = useApiQuery<ActionConfig[]>(
    summary.isError || !may('activity:read') ? '/v1/management/action-configurations' : null,
  );
  const [code, setCode] = useState('');
  const rows: ActionSummary[] =
    summary.data ??
    (configs.data ?? []).map((c) => ({
      actionCode: c.actionCode,
      configured: true,
      lastSeenAt: null,
      last24h: { ALLOW: 0, CHALLENGE_REQUIRED: 0, REVIEW_REQUIRED: 0, BLOCK: 0 },
    }));
  const open = (event: FormEvent) => {
    event.preventDefault();
    if (code.trim()) navigate(`/actions/${encodeURIComponent(code.trim())}`);
  };

  return (
    <>
      <PageTitle description="The action codes your backend tracks. Open one to set its default outcome and rules.">
        Actions and rules
      </PageTitle>
      <ErrorNote error={summary.data ? null : configs.error} />
      <Table striped highlightOnHover withTableBorder>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Action</Table.Th>
            <Table.Th>Last seen</Table.Th>
            {COLUMNS.map(([key, label]) => (
              <Table.Th key={key}>{label} (24 h)</Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((row) => (
            <Table.Tr key={row.actionCode}>
              <Table.Td>
                <Group gap="xs">
                  <Anchor component={Link} to={`/actions/${encodeURIComponent(row.actionCode)}`}>
                    {row.actionCode}
                  </Anchor>
                  {!row.configured && (
                    <Badge variant="light" color="gray">
                      not configured
                    </Badge>
                  )}
                </Group>
              </Table.Td>
              <Table.Td>{formatTime(row.lastSeenAt)}</Table.Td>
              {COLUMNS.map(([key]) => (
                <Table.Td key={key}>{row.last24h[key]}</Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {rows.length === 0 && !summary.isPending && (
        <Text mt="sm" size="sm">
          No action tracked or configured yet.
        </Text>
      )}
      <form onSubmit={open}>
        <Group align="flex-end" mt="md">
          <TextInput
            label="Configure an action code"
            placeholder="signIn"
            value={code}
            onChange={(e) => setCode(e.currentTarget.value)}
          />
          <Button type="submit" variant="default" disabled={!code.trim()}>
            Open
          </Button>
        </Group>
      </form>
    </>
  );
}

import { Alert, Button, Group, Select, Stack, TextInput, Title } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { describeError } from '../../api/client';
import { useApiMutation } from '../../api/hooks';
import type { ProviderTestResult } from '../../api/types';

/** What the test's answer means, in a sentence: the server's own words, with the number of attempts. */
function describeTest(result: ProviderTestResult): string {
  const tries = `${result.attempts.length} attempt${result.attempts.length === 1 ? '' : 's'}`;
  if (result.message) return `${result.message} (${tries}.)`;
  if (result.outcome === 'accepted') {
    return `${result.provider} accepted the message${result.providerMessageId ? ` (message ID ${result.providerMessageId})` : ''} after ${tries}. Check the phone.`;
  }
  const why = result.error
    ? `${result.error.message} (${result.error.kind}: ${result.error.reason})`
    : 'no reason given';
  return `${result.provider} did not send the message after ${tries}: ${why}.`;
}

/** Send test SMS: one real message through a saved provider. */
export function TestSms({ providers, canWrite }: { providers: string[]; canWrite: boolean }) {
  const [phoneNumber, setPhoneNumber] = useState('');
  const [index, setIndex] = useState<string | null>('0');
  const test = useApiMutation<{ phoneNumber: string; provider: number }, ProviderTestResult>((body) => ({
    method: 'POST',
    path: '/v1/management/sms-providers/test',
    body,
  }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    test.mutate({ phoneNumber, provider: Number(index ?? 0) });
  };
  return (
    <form onSubmit={submit} aria-labelledby="test-sms-title">
      <Stack gap="sm">
        <Title order={2} size="h4" id="test-sms-title">
          Send a test SMS
        </Title>
        <Group align="flex-end">
          <TextInput
            label="Phone number"
            description="In international form, e.g. +64211234567."
            value={phoneNumber}
            onChange={(e) => setPhoneNumber(e.currentTarget.value)}
            required
            type="tel"
          />
          <Select
            label="Through"
            data={providers.map((label, i) => ({ value: String(i), label: `${i + 1}. ${label}` }))}
            value={index}
            onChange={setIndex}
            allowDeselect={false}
          />
          <Button type="submit" loading={test.isPending} disabled={!canWrite || providers.length === 0}>
            Send test SMS
          </Button>
        </Group>
        {test.data && (
          <Alert color={test.data.outcome === 'accepted' ? 'green' : 'red'} role="status" data-testid="test-sms-result">
            {describeTest(test.data)}
          </Alert>
        )}
        {test.error && (
          <Alert color="red" role="alert">
            {describeError(test.error)}
          </Alert>
        )}
      </Stack>
    </form>
  );
}

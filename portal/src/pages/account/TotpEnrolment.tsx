import { Alert, Button, Code, Group, Image, List, Stack, Text, TextInput, Title } from '@mantine/core';
import { type FormEvent, useState } from 'react';
import { api, describeError } from '../../api/client';
import { CopyField } from '../../components/common';

/** The QR code as an image: the API's SVG in a data: URL, so no markup of the API's is put in the page. */
const svgDataUrl = (svg: string) =>
  `data:image/svg+xml;base64,${btoa(Array.from(new TextEncoder().encode(svg), (b) => String.fromCharCode(b)).join(''))}`;

/** TOTP enrolment: start, scan (or type the secret), confirm with a code, then the recovery codes once. */
export function TotpEnrolment({ onDone }: { onDone(): void }) {
  const [started, setStarted] = useState<{ secret: string; otpauthUri: string; qrCodeSvg: string } | null>(null);
  const [code, setCode] = useState('');
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      setStarted(await api.post('/v1/portal/mfa/totp'));
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  const confirm = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await api.post<{ recoveryCodes: string[] }>('/v1/portal/mfa/totp/confirm', {
        code: code.replace(/\s/g, ''),
      });
      setRecoveryCodes(answer.recoveryCodes);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  if (recoveryCodes) {
    return (
      <Stack>
        <Alert color="green" title="Your authenticator is set up" role="status">
          Keep these recovery codes somewhere safe. Each signs you in once if you lose the authenticator. They are shown
          only now.
        </Alert>
        <List type="ordered" data-testid="recovery-codes">
          {recoveryCodes.map((c) => (
            <List.Item key={c}>
              <Code>{c}</Code>
            </List.Item>
          ))}
        </List>
        <CopyField label="recovery codes" value={recoveryCodes.join('\n')} />
        <Button onClick={onDone} w="fit-content">
          I have saved them
        </Button>
      </Stack>
    );
  }
  if (!started) {
    return (
      <Stack align="flex-start">
        <Text size="sm">
          Use an authenticator app (1Password, Google Authenticator, Authy…) for a second step at sign-in.
        </Text>
        <Button onClick={start} loading={busy}>
          Set up an authenticator
        </Button>
        {error && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
      </Stack>
    );
  }
  return (
    <form onSubmit={confirm} aria-labelledby="totp-title">
      <Stack>
        <Title order={3} size="h5" id="totp-title">
          Scan this code with your authenticator app
        </Title>
        <Image src={svgDataUrl(started.qrCodeSvg)} alt="QR code for your authenticator app" w={200} h={200} />
        <Text size="sm">Or type this secret into the app:</Text>
        <CopyField label="TOTP secret" value={started.secret} />
        <Group align="flex-end">
          <TextInput
            label="The 6-digit code the app shows"
            inputMode="numeric"
            autoComplete="one-time-code"
            value={code}
            onChange={(e) => setCode(e.currentTarget.value)}
            required
            autoFocus
          />
          <Button type="submit" loading={busy}>
            Confirm
          </Button>
        </Group>
        {error && (
          <Alert color="red" role="alert">
            {error}
          </Alert>
        )}
      </Stack>
    </form>
  );
}

import { Alert, Button, Group, Modal, PasswordInput, SegmentedControl, Stack, Text, TextInput } from '@mantine/core';
import { createContext, type FormEvent, type ReactNode, useCallback, useEffect, useRef, useState } from 'react';
import { api, configureClient, describeError } from '../api/client';

const ReauthContext = createContext<null>(null);

/**
 * The dialog a destructive call opens when the API answers `reauthentication_required`: the operator
 * confirms their password or an authenticator code, and the call is sent again.
 */
export function ReauthProvider({ children }: { children: ReactNode }) {
  const [open, setOpen] = useState(false);
  const [method, setMethod] = useState<'password' | 'code'>('password');
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const pending = useRef<((ok: boolean) => void) | null>(null);

  const ask = useCallback(
    () =>
      new Promise<boolean>((resolve) => {
        pending.current?.(false);
        pending.current = resolve;
        setValue('');
        setError(null);
        setOpen(true);
      }),
    [],
  );
  useEffect(() => configureClient({ reauthenticate: ask }), [ask]);

  const finish = (ok: boolean) => {
    setOpen(false);
    pending.current?.(ok);
    pending.current = null;
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.post('/v1/portal/reauthenticate', method === 'password' ? { password: value } : { code: value });
      finish(true);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <ReauthContext.Provider value={null}>
      {children}
      <Modal
        opened={open}
        onClose={() => finish(false)}
        title="Confirm it is you"
        centered
        closeButtonProps={{ 'aria-label': 'Close' }}
      >
        <form onSubmit={submit}>
          <Stack>
            <Text size="sm">This change needs a fresh confirmation. It lasts five minutes.</Text>
            <SegmentedControl
              aria-label="Confirm with"
              value={method}
              onChange={(v) => setMethod(v as 'password' | 'code')}
              data={[
                { value: 'password', label: 'Password' },
                { value: 'code', label: 'Authenticator code' },
              ]}
            />
            {method === 'password' ? (
              <PasswordInput
                label="Password"
                value={value}
                onChange={(e) => setValue(e.currentTarget.value)}
                autoComplete="current-password"
                required
                data-autofocus
              />
            ) : (
              <TextInput
                label="Authenticator code"
                value={value}
                onChange={(e) => setValue(e.currentTarget.value)}
                inputMode="numeric"
                autoComplete="one-time-code"
                required
                data-autofocus
              />
            )}
            {error && (
              <Alert color="red" role="alert">
                {error}
              </Alert>
            )}
            <Group justify="flex-end">
              <Button variant="default" onClick={() => finish(false)}>
                Cancel
              </Button>
              <Button type="submit" loading={busy}>
                Confirm
              </Button>
            </Group>
          </Stack>
        </form>
      </Modal>
    </ReauthContext.Provider>
  );
}

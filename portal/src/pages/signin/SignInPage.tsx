import { Alert, Anchor, Button, PasswordInput, Stack, TextInput } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useState } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router-dom';
import { api, describeError } from '../../api/client';
import type { SessionStatus } from '../../api/types';
import { AuthFrame } from '../../components/AuthFrame';
import { useSession } from '../../session';

/** Email and password, then (when the account has MFA) an authenticator or recovery code. */
export default function SignInPage() {
  const [params] = useSearchParams();
  const { me, refresh } = useSession();
  const navigate = useNavigate();
  const client = useQueryClient();
  const [step, setStep] = useState<'password' | 'mfa'>(params.get('step') === 'mfa' ? 'mfa' : 'password');
  const from = params.get('from') ?? '/';

  const done = async (status: SessionStatus) => {
    const fresh = await refresh();
    if (status === 'mfa_required') {
      // In the address too, so that a reload (the session is partial until the code) stays here.
      const next = new URLSearchParams(params);
      for (const notice of ['signedOut', 'expired']) next.delete(notice);
      next.set('step', 'mfa');
      navigate(`/sign-in?${next}`, { replace: true });
      return setStep('mfa');
    }
    if (status === 'mfa_enrolment_required' || fresh?.session.status === 'mfa_enrolment_required') {
      return navigate('/account', { replace: true });
    }
    navigate(from.startsWith('/') && !from.startsWith('/sign-in') ? from : '/', { replace: true });
  };

  // Signing out lands here with the session still cached: forget it, and every page's data.
  const signedOut = params.has('signedOut');
  useEffect(() => {
    if (!signedOut) return;
    client.setQueryData(['me'], null);
    client.removeQueries({ queryKey: ['api'] });
  }, [signedOut, client]);

  if (me?.session.status === 'signed_in' && !signedOut) return <Navigate to={from} replace />;
  return step === 'password' ? (
    <PasswordStep onDone={done} notice={notice(params)} />
  ) : (
    <MfaStep
      onDone={done}
      onBack={() => {
        setStep('password');
        navigate('/sign-in', { replace: true });
      }}
    />
  );
}

function notice(params: URLSearchParams): string | null {
  if (params.has('expired')) return 'Your session ended. Sign in again to continue.';
  if (params.has('signedOut')) return 'You are signed out.';
  return null;
}

function PasswordStep({ onDone, notice }: { onDone(status: SessionStatus): void; notice: string | null }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const answer = await api.post<{ status: SessionStatus }>('/v1/portal/sign-in', { email, password });
      onDone(answer.status);
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };
  return (
    <AuthFrame title="Sign in" description="Operators of this Sigil server sign in here.">
      {notice && (
        <Alert color="blue" role="status">
          {notice}
        </Alert>
      )}
      <form onSubmit={submit} aria-label="Sign in">
        <Stack>
          <TextInput
            label="Email"
            type="email"
            autoComplete="username"
            value={email}
            onChange={(e) => setEmail(e.currentTarget.value)}
            required
            autoFocus
          />
          <PasswordInput
            label="Password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.currentTarget.value)}
            required
          />
          {error && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          <Button type="submit" loading={busy}>
            Sign in
          </Button>
        </Stack>
      </form>
    </AuthFrame>
  );
}

function MfaStep({ onDone, onBack }: { onDone(status: SessionStatus): void; onBack(): void }) {
  const [useRecovery, setUseRecovery] = useState(false);
  const [value, setValue] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body = useRecovery ? { recoveryCode: value.trim() } : { code: value.replace(/\s/g, '') };
      const answer = await api.post<{ status: SessionStatus }>('/v1/portal/sign-in/mfa', body);
      onDone(answer.status);
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };
  return (
    <AuthFrame
      title="Two-step verification"
      description={
        useRecovery ? 'Enter one of your recovery codes.' : 'Enter the 6-digit code from your authenticator app.'
      }
    >
      <form onSubmit={submit} aria-label="Two-step verification">
        <Stack>
          <TextInput
            key={useRecovery ? 'recovery' : 'code'}
            label={useRecovery ? 'Recovery code' : 'Authenticator code'}
            inputMode={useRecovery ? 'text' : 'numeric'}
            autoComplete="one-time-code"
            value={value}
            onChange={(e) => setValue(e.currentTarget.value)}
            required
            autoFocus
          />
          {error && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          <Button type="submit" loading={busy}>
            Verify
          </Button>
          <Anchor
            component="button"
            type="button"
            size="sm"
            onClick={() => {
              setUseRecovery(!useRecovery);
              setValue('');
            }}
          >
            {useRecovery ? 'Use an authenticator code instead' : 'Use a recovery code instead'}
          </Anchor>
          <Anchor component="button" type="button" size="sm" onClick={onBack}>
            Back to email and password
          </Anchor>
        </Stack>
      </form>
    </AuthFrame>
  );
}

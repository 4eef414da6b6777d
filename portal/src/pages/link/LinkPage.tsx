import { Alert, Button, Loader, PasswordInput, Stack, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { ApiError, api, describeError } from '../../api/client';
import type { LinkInfo, SessionStatus } from '../../api/types';
import { AuthFrame } from '../../components/AuthFrame';
import { useSession } from '../../session';

const MIN_PASSWORD = 12;

/** A one-time link: the first owner's sign-in link, `sigil admin create`'s link, or an invitation. */
export default function LinkPage() {
  const { token = '' } = useParams();
  const info = useQuery({
    queryKey: ['link', token],
    queryFn: () => api.get<LinkInfo>(`/v1/portal/links/${encodeURIComponent(token)}`),
    retry: false,
  });
  if (info.isPending) {
    return (
      <AuthFrame title="One-time link">
        <Loader aria-label="Loading" />
      </AuthFrame>
    );
  }
  if (info.isError) {
    const gone = info.error instanceof ApiError && info.error.status === 404;
    return (
      <AuthFrame title="This link cannot be used">
        <Alert color="red" role="alert">
          {gone ? 'The link was already used or has expired. Ask for a new one.' : describeError(info.error)}
        </Alert>
        <Button component={Link} to="/sign-in" variant="default">
          Go to sign-in
        </Button>
      </AuthFrame>
    );
  }
  return <RedeemForm token={token} info={info.data} />;
}

function RedeemForm({ token, info }: { token: string; info: LinkInfo }) {
  const { refresh } = useSession();
  const navigate = useNavigate();
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const mismatch = info.needsPassword && repeat.length > 0 && repeat !== password;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (info.needsPassword && (password.length < MIN_PASSWORD || password !== repeat)) {
      setError(`Choose a password of at least ${MIN_PASSWORD} characters, and type it twice.`);
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const answer = await api.post<{ status: SessionStatus }>('/v1/portal/links/redeem', {
        token,
        ...(info.needsPassword ? { password } : {}),
      });
      await refresh();
      if (answer.status === 'mfa_required') navigate('/sign-in?step=mfa', { replace: true });
      else if (answer.status === 'mfa_enrolment_required') navigate('/account', { replace: true });
      else navigate('/', { replace: true });
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };

  const title = info.kind === 'invite' ? 'Accept the invitation' : 'Sign in with your link';
  return (
    <AuthFrame title={title}>
      <Text size="sm">
        {info.kind === 'invite'
          ? `You are invited to ${info.tenantName ?? 'a tenant'} as ${info.role ?? 'a member'}, as ${info.email}.`
          : `This link signs in ${info.email}.`}
      </Text>
      <form onSubmit={submit} aria-label={title}>
        <Stack>
          {info.needsPassword && (
            <>
              <PasswordInput
                label="New password"
                description={`At least ${MIN_PASSWORD} characters.`}
                autoComplete="new-password"
                value={password}
                onChange={(e) => setPassword(e.currentTarget.value)}
                required
                autoFocus
              />
              <PasswordInput
                label="Repeat the password"
                autoComplete="new-password"
                value={repeat}
                onChange={(e) => setRepeat(e.currentTarget.value)}
                error={mismatch ? 'The passwords differ.' : undefined}
                required
              />
            </>
          )}
          {error && (
            <Alert color="red" role="alert">
              {error}
            </Alert>
          )}
          <Button type="submit" loading={busy}>
            {info.kind === 'invite' ? 'Join' : 'Continue'}
          </Button>
        </Stack>
      </form>
    </AuthFrame>
  );
}

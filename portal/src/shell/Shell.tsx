import { AppShell, Burger, Button, Group, Menu, NavLink, Select, Text, VisuallyHidden } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { useQuery } from '@tanstack/react-query';
import { Outlet, NavLink as RouterLink, useLocation, useNavigate } from 'react-router-dom';
import { ApiError, api } from '../api/client';
import { tenantKey } from '../api/hooks';
import type { Permission } from '../api/types';
import { useSession } from '../session';

/** The pages in the navigation, each shown to the roles whose permission can read it. */
const PAGES: { to: string; label: string; permission: Permission; devOnly?: boolean }[] = [
  { to: '/dashboard', label: 'Dashboard', permission: 'activity:read' },
  { to: '/users', label: 'Users', permission: 'activity:read' },
  { to: '/reviews', label: 'Review queue', permission: 'activity:read' },
  { to: '/message-log', label: 'Message log', permission: 'activity:read' },
  { to: '/inbox', label: 'Development inbox', permission: 'activity:read', devOnly: true },
  { to: '/actions', label: 'Actions and rules', permission: 'config:read' },
  { to: '/sms', label: 'SMS delivery', permission: 'config:read' },
  { to: '/messages', label: 'Messages', permission: 'config:read' },
  { to: '/keys', label: 'API keys', permission: 'keys:read' },
  { to: '/team', label: 'Team', permission: 'team:read' },
  { to: '/audit', label: 'Audit log', permission: 'audit:read' },
];

export function Shell() {
  const [opened, { toggle, close }] = useDisclosure();
  const { me, membership, selectTenant, may } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const enrolling = me?.session.status === 'mfa_enrolment_required';
  const development = useDevelopmentInbox(!!membership && may('activity:read'));

  const signOut = async () => {
    try {
      await api.post('/v1/portal/sign-out');
    } finally {
      // The sign-in page forgets the session and the cached data: cleared here, this page would send
      // the operator to sign in and back here afterwards, as after an expired session.
      navigate('/sign-in?signedOut=1');
    }
  };

  return (
    <AppShell
      header={{ height: 56 }}
      navbar={{ width: 230, breakpoint: 'sm', collapsed: { mobile: !opened } }}
      padding="md"
    >
      <button type="button" className="sigil-skip-link" onClick={() => document.getElementById('main')?.focus()}>
        Skip to content
      </button>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Text fw={700} component="span">
              Sigil
            </Text>
          </Group>
          <Group wrap="nowrap" gap="sm">
            {me && me.memberships.length > 0 && !enrolling && (
              <Select
                aria-label="Tenant"
                size="xs"
                w={220}
                allowDeselect={false}
                value={membership?.tenantId ?? null}
                onChange={(value) => value && selectTenant(value)}
                data={me.memberships.map((m) => ({ value: m.tenantId, label: `${m.tenantName} (${m.role})` }))}
              />
            )}
            <Menu position="bottom-end" withinPortal>
              <Menu.Target>
                <Button variant="default" size="xs" aria-label={`Account menu for ${me?.account.email ?? ''}`}>
                  {me?.account.email}
                </Button>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Item onClick={() => navigate('/account')}>Account and security</Menu.Item>
                <Menu.Divider />
                <Menu.Item onClick={signOut}>Sign out</Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="Portal">
        {enrolling ? (
          <Text size="sm" p="xs">
            Set up your authenticator to continue.
          </Text>
        ) : (
          PAGES.filter((p) => may(p.permission) && (!p.devOnly || development)).map((p) => (
            <NavLink
              key={p.to}
              component={RouterLink}
              to={p.to}
              label={p.label}
              active={location.pathname === p.to || location.pathname.startsWith(`${p.to}/`)}
              onClick={close}
            />
          ))
        )}
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>
        <VisuallyHidden>
          <span aria-live="polite">{membership ? `Tenant ${membership.tenantName}` : ''}</span>
        </VisuallyHidden>
        {membership || enrolling || location.pathname === '/account' ? (
          <Outlet key={membership?.tenantId} />
        ) : (
          <Text>You are not a member of any tenant yet. Ask an owner for an invitation.</Text>
        )}
      </AppShell.Main>
    </AppShell>
  );
}

/** Whether the server runs in development: only then does it have the inbox (elsewhere it answers 404). */
function useDevelopmentInbox(enabled: boolean): boolean {
  const probe = useQuery({
    queryKey: tenantKey('/v1/management/dev/inbox?limit=1'),
    queryFn: async () => {
      try {
        await api.get('/v1/management/dev/inbox?limit=1');
        return true;
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return false;
        throw err;
      }
    },
    enabled,
    staleTime: Number.POSITIVE_INFINITY,
    retry: false,
  });
  return probe.data === true;
}

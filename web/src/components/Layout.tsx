import { AppShell, Badge, Burger, Group, NavLink, Stack, Text, Title, UnstyledButton } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import { IconAlertTriangle, IconBellCog, IconKey, IconListDetails, IconLogout, IconPlugConnected, IconShieldLock, IconUsers } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { Link, useLocation, useNavigate } from 'react-router-dom';
import type { Me } from '../lib/types.ts';
import { isAdmin } from '../lib/roles.ts';
import { useOpenAlertCount } from '../api/alerts.ts';
import { useSignOut } from '../api/session.ts';

/** The page frame: header with the organization, navigation by role, and sign-out. */
export function Layout({ me, children }: { me: Me; children: ReactNode }) {
  const [opened, { toggle, close }] = useDisclosure();
  const location = useLocation();
  const navigate = useNavigate();
  const endSession = useSignOut();
  const admin = isAdmin(me);
  const openAlerts = useOpenAlertCount(admin);
  const link = (to: string, label: string, icon: ReactNode, badge?: ReactNode) => (
    <NavLink component={Link} to={to} label={label} leftSection={icon} rightSection={badge} active={location.pathname.startsWith(to)} onClick={close} />
  );

  async function signOut() {
    await endSession();
    navigate('/login');
  }

  return (
    <>
    <a href="#main" className="skip-link">
      Skip to content
    </a>
    <AppShell header={{ height: 56 }} navbar={{ width: 240, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Title order={3} c="indigo">Auditum</Title>
            <Text c="dimmed" size="sm" truncate>
              {me.org.name}
            </Text>
          </Group>
          <Text size="sm" c="dimmed" visibleFrom="xs" truncate>
            {me.user.email} · {me.role}
          </Text>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        <Stack gap={2} style={{ flex: 1 }}>
          <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" pt="xs">
            {me.org.name}
          </Text>
          {admin && link('/audit-logs', 'Audit Logs', <IconListDetails size={18} />)}
          {admin &&
            link(
              '/alerts',
              'Alerts',
              <IconAlertTriangle size={18} />,
              openAlerts.data ? <Badge size="sm" color="red" aria-label={`${openAlerts.data} open alerts`}>{openAlerts.data}</Badge> : undefined,
            )}
          {admin && (
            <>
              <Text size="xs" fw={700} c="dimmed" tt="uppercase" px="sm" pt="md">
                Settings
              </Text>
              {link('/settings/members', 'Members', <IconUsers size={18} />)}
              {link('/settings/api-keys', 'API keys', <IconKey size={18} />)}
              {link('/settings/oauth-clients', 'OAuth2 clients', <IconPlugConnected size={18} />)}
              {link('/settings/alerts', 'Alert rules', <IconBellCog size={18} />)}
              {link('/settings/retention', 'Retention & integrity', <IconShieldLock size={18} />)}
            </>
          )}
        </Stack>
        <UnstyledButton onClick={signOut} p="sm" aria-label="Sign out">
          <Group gap="xs">
            <IconLogout size={18} />
            <Text size="sm">Sign out</Text>
          </Group>
        </UnstyledButton>
      </AppShell.Navbar>
      <AppShell.Main id="main" tabIndex={-1}>
        {children}
      </AppShell.Main>
    </AppShell>
    </>
  );
}

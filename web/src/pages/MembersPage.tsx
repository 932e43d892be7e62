import { Alert, Badge, Button, Group, Paper, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useConfirm } from '../components/ConfirmDialog.tsx';
import { useDoneNotice } from '../components/DoneNotice.tsx';
import { useState } from 'react';
import { SecretOnce } from '../components/SecretOnce.tsx';
import { errorMessage } from '../lib/api.ts';
import { formatLocal } from '../lib/format.ts';
import type { Me } from '../lib/types.ts';
import { isOwner } from '../lib/roles.ts';
import {
  useChangeMember,
  useCreateInvite,
  useInvites,
  useMembers,
  useRemoveMember,
  useRevokeInvite,
  type Role,
} from '../api/members.ts';

const ROLE_OPTIONS: Array<{ value: Role; label: string }> = [
  { value: 'owner', label: 'Owner' },
  { value: 'admin', label: 'Admin' },
  { value: 'member', label: 'Member' },
];

/** "an owner", "an admin", "a member" */
const withArticle = (role: Role) => (role === 'member' ? 'a member' : `an ${role}`);

export function MembersPage({ me }: { me: Me }) {
  const members = useMembers();
  const invites = useInvites();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const [link, setLink] = useState<string | null>(null);
  const invite = useCreateInvite({
    onSuccess: (res) => {
      setLink(res.url);
      setEmail('');
      setRole('member');
    },
  });
  const { notice, done } = useDoneNotice();
  const emailOf = (userId: string) => members.data?.members.find((m) => m.user_id === userId)?.email ?? 'The member';
  const change = useChangeMember({
    onSuccess: (_res, { userId, body }) =>
      done(`${emailOf(userId)} ${body.role ? `is now ${withArticle(body.role)}` : `is ${body.status}`}.`),
  });
  const remove = useRemoveMember({ onSuccess: (_r, userId) => done(`${emailOf(userId)} was removed.`) });
  const revoke = useRevokeInvite({ onSuccess: () => done('The invitation was revoked; its link no longer works.') });
  const error = [invite, change, remove, revoke].find((m) => m.isError)?.error;
  const owner = isOwner(me);
  const { confirm, dialog } = useConfirm();

  /** Making someone an admin or owner shows them the whole audit log: asked first. */
  const changeRole = async (userId: string, email: string, to: Role) => {
    const everything = to === 'owner' ? ' and manage everything' : '';
    const asked = to === 'member' || await confirm({
      title: 'Change role',
      message: `Make ${email} ${withArticle(to)}? They will see the whole audit log${everything}.`,
      action: `Make ${to}`,
    });
    if (asked) change.mutate({ userId, body: { role: to } });
  };
  const removeMember = async (userId: string, email: string) => {
    if (await confirm({ title: 'Remove member', message: `Remove ${email}?`, action: 'Remove' })) remove.mutate(userId);
  };
  const revokeInvite = async (id: string, email: string) => {
    const message = `Revoke the invitation of ${email}?`;
    if (await confirm({ title: 'Revoke invitation', message, action: 'Revoke' })) revoke.mutate(id);
  };

  return (
    <Stack maw={1000}>
      <Title order={2}>Members</Title>
      {error && <Alert color="red" role="alert">{errorMessage(error)}</Alert>}
      {notice}
      {dialog}
      <Paper withBorder p="md">
        <form onSubmit={(e) => (e.preventDefault(), invite.mutate({ email, role }))}>
          <Group align="flex-end">
            <TextInput
              label="Invite by email"
              type="email"
              required
              value={email}
              onChange={(e) => setEmail(e.currentTarget.value)}
              style={{ flex: 1, minWidth: 220 }}
            />
            <Select
              label="Role"
              data={owner ? ROLE_OPTIONS : ROLE_OPTIONS.slice(1)}
              value={role}
              onChange={(v) => setRole((v as Role | null) ?? 'member')}
              allowDeselect={false}
              w={140}
            />
            <Button type="submit" loading={invite.isPending}>Invite</Button>
          </Group>
        </form>
        {link && <SecretOnce label="Invitation link" value={link} onDismiss={() => setLink(null)} />}
      </Paper>
      <Table.ScrollContainer minWidth={640}>
        <Table aria-label="Members">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Email</Table.Th>
              <Table.Th>Role</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Joined</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {members.data?.members.map((m) => (
              <Table.Tr key={m.user_id}>
                <Table.Td><Text size="sm">{m.email}</Text>{m.name && <Text size="xs" c="dimmed">{m.name}</Text>}</Table.Td>
                <Table.Td>
                  {owner ? (
                    <Select
                      aria-label={`Role of ${m.email}`}
                      data={ROLE_OPTIONS}
                      value={m.role}
                      allowDeselect={false}
                      w={130}
                      onChange={(v) => v && v !== m.role && void changeRole(m.user_id, m.email, v as Role)}
                    />
                  ) : (
                    <Badge variant="light">{m.role}</Badge>
                  )}
                </Table.Td>
                <Table.Td><Badge color={m.status === 'active' ? 'teal' : 'gray'} variant="light">{m.status}</Badge></Table.Td>
                <Table.Td><Text size="sm">{formatLocal(m.joined_at)}</Text></Table.Td>
                <Table.Td>
                  {m.user_id !== me.user.id && (
                    <Group gap="xs" justify="flex-end" wrap="nowrap">
                      <Button
                        size="xs"
                        variant="default"
                        onClick={() => {
                          const status = m.status === 'active' ? 'deactivated' : 'active';
                          change.mutate({ userId: m.user_id, body: { status } });
                        }}
                      >
                        {m.status === 'active' ? 'Deactivate' : 'Reactivate'}
                      </Button>
                      <Button
                        size="xs"
                        color="red"
                        variant="light"
                        onClick={() => void removeMember(m.user_id, m.email)}
                      >
                        Remove
                      </Button>
                    </Group>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Title order={3}>Invitations</Title>
      <Table aria-label="Invitations">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Email</Table.Th>
            <Table.Th>Role</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th>Expires</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {invites.data?.invites.map((i) => (
            <Table.Tr key={i.id}>
              <Table.Td>{i.email}</Table.Td>
              <Table.Td>{i.role}</Table.Td>
              <Table.Td><Badge variant="light" color={i.status === 'pending' ? 'blue' : 'gray'}>{i.status}</Badge></Table.Td>
              <Table.Td><Text size="sm">{formatLocal(i.expires_at)}</Text></Table.Td>
              <Table.Td>
                {i.status === 'pending' && (
                  <Button
                    size="xs"
                    variant="subtle"
                    color="red"
                    onClick={() => void revokeInvite(i.id, i.email)}
                  >
                    Revoke
                  </Button>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
          {invites.data?.invites.length === 0 && (
            <Table.Tr><Table.Td><Text size="sm" c="dimmed">No invitations.</Text></Table.Td></Table.Tr>
          )}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

import { Alert, Badge, Button, Checkbox, Group, Paper, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useDoneNotice } from '../components/DoneNotice.tsx';
import { useState } from 'react';
import { SecretOnce } from '../components/SecretOnce.tsx';
import { api, errorMessage } from '../lib/api.ts';
import { formatLocal } from '../lib/format.ts';
import type { Me } from '../lib/types.ts';
import { keys as queryKeys } from '../api/keys.ts';

const SCOPES = ['events:write', 'events:read', 'admin'];

function ScopePicker({ value, onChange }: { value: string[]; onChange: (v: string[]) => void }) {
  return (
    <Checkbox.Group label="Scopes" value={value} onChange={onChange}>
      <Group mt={4}>{SCOPES.map((s) => <Checkbox key={s} value={s} label={s} />)}</Group>
    </Checkbox.Group>
  );
}

interface ApiKey { id: string; name: string; prefix: string; scopes: string[]; created_at: string; expires_at: string | null; last_used_at: string | null; revoked_at: string | null }

export function ApiKeysPage(_props: { me: Me }) {
  const queryClient = useQueryClient();
  const keys = useQuery({ queryKey: queryKeys.apiKeys(), queryFn: () => api<{ api_keys: ApiKey[] }>('GET', '/v1/api-keys') });
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['events:write']);
  const [secret, setSecret] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () => api<{ key: string }>('POST', '/v1/api-keys', { name, scopes }),
    onSuccess: (res) => {
      setSecret(res.key);
      setName('');
      void queryClient.invalidateQueries({ queryKey: queryKeys.apiKeys() });
    },
  });
  const { notice, done } = useDoneNotice();
  const revoke = useMutation({
    mutationFn: (id: string) => api('DELETE', `/v1/api-keys/${id}`),
    onSuccess: (_r, id) => done(`${keys.data?.api_keys.find((k) => k.id === id)?.name ?? 'The key'} was revoked; requests using it are refused.`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: queryKeys.apiKeys() }),
  });
  return (
    <Stack maw={1000}>
      <Title order={2}>API keys</Title>
      {(create.error || revoke.error) && <Alert color="red" role="alert">{errorMessage(create.error ?? revoke.error)}</Alert>}
      {notice}
      <Paper withBorder p="md">
        <form onSubmit={(e) => (e.preventDefault(), create.mutate())}>
          <Stack>
            <TextInput label="Key name" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
            <ScopePicker value={scopes} onChange={setScopes} />
            <Button type="submit" loading={create.isPending} w="fit-content">Create API key</Button>
          </Stack>
        </form>
        {secret && <SecretOnce label="API key" value={secret} onDismiss={() => setSecret(null)} />}
      </Paper>
      <Table.ScrollContainer minWidth={700}>
        <Table aria-label="API keys">
          <Table.Thead><Table.Tr><Table.Th>Name</Table.Th><Table.Th>Prefix</Table.Th><Table.Th>Scopes</Table.Th><Table.Th>Last used</Table.Th><Table.Th>Status</Table.Th><Table.Th /></Table.Tr></Table.Thead>
          <Table.Tbody>
            {keys.data?.api_keys.map((k) => (
              <Table.Tr key={k.id}>
                <Table.Td>{k.name}</Table.Td>
                <Table.Td><Text ff="monospace" size="sm">{k.prefix}…</Text></Table.Td>
                <Table.Td><Group gap={4}>{k.scopes.map((s) => <Badge key={s} variant="light" size="sm">{s}</Badge>)}</Group></Table.Td>
                <Table.Td><Text size="sm">{k.last_used_at ? formatLocal(k.last_used_at) : 'never'}</Text></Table.Td>
                <Table.Td><Badge color={k.revoked_at ? 'gray' : 'teal'} variant="light">{k.revoked_at ? 'revoked' : k.expires_at && Date.parse(k.expires_at) < Date.now() ? 'expired' : 'active'}</Badge></Table.Td>
                <Table.Td>{!k.revoked_at && <Button size="xs" color="red" variant="light" onClick={() => window.confirm(`Revoke ${k.name}? Requests using it fail at once.`) && revoke.mutate(k.id)}>Revoke</Button>}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}

interface OauthClient { client_id: string; name: string; scopes: string[]; created_at: string; revoked_at: string | null }

export function OauthClientsPage(_props: { me: Me }) {
  const queryClient = useQueryClient();
  const clients = useQuery({ queryKey: queryKeys.oauthClients(), queryFn: () => api<{ oauth_clients: OauthClient[] }>('GET', '/v1/oauth-clients') });
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['events:read']);
  const [created, setCreated] = useState<{ id: string; secret: string } | null>(null);
  const create = useMutation({
    mutationFn: () => api<{ client_secret: string; oauth_client: OauthClient }>('POST', '/v1/oauth-clients', { name, scopes }),
    onSuccess: (res) => {
      setCreated({ id: res.oauth_client.client_id, secret: res.client_secret });
      setName('');
      void queryClient.invalidateQueries({ queryKey: queryKeys.oauthClients() });
    },
  });
  const { notice, done } = useDoneNotice();
  const revoke = useMutation({
    mutationFn: (id: string) => api('DELETE', `/v1/oauth-clients/${id}`),
    onSuccess: (_r, id) => done(`${clients.data?.oauth_clients.find((c) => c.client_id === id)?.name ?? 'The client'} was revoked; its tokens stop working.`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: queryKeys.oauthClients() }),
  });
  return (
    <Stack maw={1000}>
      <Title order={2}>OAuth2 clients</Title>
      <Text c="dimmed" size="sm">Machine clients get short-lived tokens from POST /oauth/token (client credentials grant).</Text>
      {(create.error || revoke.error) && <Alert color="red" role="alert">{errorMessage(create.error ?? revoke.error)}</Alert>}
      {notice}
      <Paper withBorder p="md">
        <form onSubmit={(e) => (e.preventDefault(), create.mutate())}>
          <Stack>
            <TextInput label="Client name" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
            <ScopePicker value={scopes} onChange={setScopes} />
            <Button type="submit" loading={create.isPending} w="fit-content">Register client</Button>
          </Stack>
        </form>
        {created && (
          <Stack mt="sm">
            <Text size="sm">Client id: <Text span ff="monospace">{created.id}</Text></Text>
            <SecretOnce label="Client secret" value={created.secret} onDismiss={() => setCreated(null)} />
          </Stack>
        )}
      </Paper>
      <Table aria-label="OAuth2 clients">
        <Table.Thead><Table.Tr><Table.Th>Name</Table.Th><Table.Th>Client id</Table.Th><Table.Th>Scopes</Table.Th><Table.Th>Status</Table.Th><Table.Th /></Table.Tr></Table.Thead>
        <Table.Tbody>
          {clients.data?.oauth_clients.map((c) => (
            <Table.Tr key={c.client_id}>
              <Table.Td>{c.name}</Table.Td>
              <Table.Td><Text ff="monospace" size="sm">{c.client_id}</Text></Table.Td>
              <Table.Td><Group gap={4}>{c.scopes.map((s) => <Badge key={s} variant="light" size="sm">{s}</Badge>)}</Group></Table.Td>
              <Table.Td><Badge color={c.revoked_at ? 'gray' : 'teal'} variant="light">{c.revoked_at ? 'revoked' : 'active'}</Badge></Table.Td>
              <Table.Td>{!c.revoked_at && <Button size="xs" color="red" variant="light" onClick={() => window.confirm(`Revoke ${c.name}? Tokens it holds stop working at once.`) && revoke.mutate(c.client_id)}>Revoke</Button>}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

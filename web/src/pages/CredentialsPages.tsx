import { Alert, Badge, Button, Checkbox, Group, Paper, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useConfirm } from '../components/ConfirmDialog.tsx';
import { useDoneNotice } from '../components/DoneNotice.tsx';
import { useState } from 'react';
import { SecretOnce } from '../components/SecretOnce.tsx';
import { errorMessage } from '../lib/api.ts';
import { formatLocal } from '../lib/format.ts';
import type { Me } from '../lib/types.ts';
import {
  SCOPES,
  useApiKeys,
  useCreateApiKey,
  useCreateOauthClient,
  useOauthClients,
  useRevokeApiKey,
  useRevokeOauthClient,
  type ApiKey,
  type OauthClient,
  type Scope,
} from '../api/credentials.ts';

function ScopePicker({ value, onChange }: { value: Scope[]; onChange: (v: Scope[]) => void }) {
  return (
    <Checkbox.Group label="Scopes" value={value} onChange={(v) => onChange(v as Scope[])}>
      <Group mt={4}>{SCOPES.map((s) => <Checkbox key={s} value={s} label={s} />)}</Group>
    </Checkbox.Group>
  );
}

function keyStatus(key: ApiKey): string {
  if (key.revoked_at) return 'revoked';
  return key.expires_at && Date.parse(key.expires_at) < Date.now() ? 'expired' : 'active';
}

export function ApiKeysPage(_props: { me: Me }) {
  const keys = useApiKeys();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Scope[]>(['events:write']);
  const [secret, setSecret] = useState<string | null>(null);
  const create = useCreateApiKey({
    onSuccess: (res) => {
      setSecret(res.key);
      setName('');
    },
  });
  const { notice, done } = useDoneNotice();
  const nameOf = (id: string) => keys.data?.api_keys.find((k) => k.id === id)?.name ?? 'The key';
  const revoke = useRevokeApiKey({
    onSuccess: (_r, id) => done(`${nameOf(id)} was revoked; requests using it are refused.`),
  });
  const { confirm, dialog } = useConfirm();
  const revokeKey = async (key: ApiKey) => {
    const message = `Revoke ${key.name}? Requests using it fail at once.`;
    if (await confirm({ title: 'Revoke API key', message, action: 'Revoke' })) revoke.mutate(key.id);
  };
  return (
    <Stack maw={1000}>
      <Title order={2}>API keys</Title>
      {(create.error || revoke.error) && (
        <Alert color="red" role="alert">{errorMessage(create.error ?? revoke.error)}</Alert>
      )}
      {notice}
      {dialog}
      <Paper withBorder p="md">
        <form onSubmit={(e) => (e.preventDefault(), create.mutate({ name, scopes }))}>
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
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Prefix</Table.Th>
              <Table.Th>Scopes</Table.Th>
              <Table.Th>Last used</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {keys.data?.api_keys.map((k) => (
              <Table.Tr key={k.id}>
                <Table.Td>{k.name}</Table.Td>
                <Table.Td><Text ff="monospace" size="sm">{k.prefix}…</Text></Table.Td>
                <Table.Td><Group gap={4}>{k.scopes.map((s) => <Badge key={s} variant="light" size="sm">{s}</Badge>)}</Group></Table.Td>
                <Table.Td><Text size="sm">{k.last_used_at ? formatLocal(k.last_used_at) : 'never'}</Text></Table.Td>
                <Table.Td><Badge color={k.revoked_at ? 'gray' : 'teal'} variant="light">{keyStatus(k)}</Badge></Table.Td>
                <Table.Td>
                  {!k.revoked_at && (
                    <Button
                      size="xs"
                      color="red"
                      variant="light"
                      onClick={() => void revokeKey(k)}
                    >
                      Revoke
                    </Button>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Stack>
  );
}

export function OauthClientsPage(_props: { me: Me }) {
  const clients = useOauthClients();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Scope[]>(['events:read']);
  const [created, setCreated] = useState<{ id: string; secret: string } | null>(null);
  const create = useCreateOauthClient({
    onSuccess: (res) => {
      setCreated({ id: res.oauth_client.client_id, secret: res.client_secret });
      setName('');
    },
  });
  const { notice, done } = useDoneNotice();
  const nameOf = (id: string) => clients.data?.oauth_clients.find((c) => c.client_id === id)?.name ?? 'The client';
  const revoke = useRevokeOauthClient({
    onSuccess: (_r, id) => done(`${nameOf(id)} was revoked; its tokens stop working.`),
  });
  const { confirm, dialog } = useConfirm();
  const revokeClient = async (client: OauthClient) => {
    const message = `Revoke ${client.name}? Tokens it holds stop working at once.`;
    if (await confirm({ title: 'Revoke OAuth2 client', message, action: 'Revoke' })) revoke.mutate(client.client_id);
  };
  return (
    <Stack maw={1000}>
      <Title order={2}>OAuth2 clients</Title>
      <Text c="dimmed" size="sm">Machine clients get short-lived tokens from POST /oauth/token (client credentials grant).</Text>
      {(create.error || revoke.error) && (
        <Alert color="red" role="alert">{errorMessage(create.error ?? revoke.error)}</Alert>
      )}
      {notice}
      {dialog}
      <Paper withBorder p="md">
        <form onSubmit={(e) => (e.preventDefault(), create.mutate({ name, scopes }))}>
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
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Name</Table.Th>
            <Table.Th>Client id</Table.Th>
            <Table.Th>Scopes</Table.Th>
            <Table.Th>Status</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {clients.data?.oauth_clients.map((c) => (
            <Table.Tr key={c.client_id}>
              <Table.Td>{c.name}</Table.Td>
              <Table.Td><Text ff="monospace" size="sm">{c.client_id}</Text></Table.Td>
              <Table.Td><Group gap={4}>{c.scopes.map((s) => <Badge key={s} variant="light" size="sm">{s}</Badge>)}</Group></Table.Td>
              <Table.Td>
                <Badge color={c.revoked_at ? 'gray' : 'teal'} variant="light">{c.revoked_at ? 'revoked' : 'active'}</Badge>
              </Table.Td>
              <Table.Td>
                {!c.revoked_at && (
                  <Button
                    size="xs"
                    color="red"
                    variant="light"
                    onClick={() => void revokeClient(c)}
                  >
                    Revoke
                  </Button>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}

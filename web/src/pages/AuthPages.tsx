import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent, type ReactNode } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { api, errorMessage, setCsrf } from '../lib/api.ts';
import type { Me } from '../lib/types.ts';

function Card({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Center mih="100vh" p="md">
      <Paper withBorder shadow="sm" p="xl" w="100%" maw={420}>
        <Stack>
          <Title order={2}>{title}</Title>
          {children}
        </Stack>
      </Paper>
    </Center>
  );
}

/** Submits a form to the API; on success stores the session's CSRF token and goes on. */
function useAuthSubmit(path: string) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [params] = useSearchParams();
  async function submit(event: FormEvent, body: unknown) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const me = await api<Me>('POST', path, body);
      setCsrf(me.csrf_token);
      queryClient.setQueryData(['me'], me);
      const next = params.get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
    } catch (caught) {
      setError(errorMessage(caught));
    } finally {
      setBusy(false);
    }
  }
  return { error, busy, submit };
}

export function LoginPage() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { error, busy, submit } = useAuthSubmit('/v1/auth/login');
  return (
    <Card title="Sign in to Auditum">
      <form onSubmit={(e) => submit(e, { email, password })}>
        <Stack>
          <TextInput label="Email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.currentTarget.value)} />
          <PasswordInput label="Password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
          {error && <Alert color="red" role="alert">{error}</Alert>}
          <Button type="submit" loading={busy}>
            Sign in
          </Button>
        </Stack>
      </form>
    </Card>
  );
}

export function SetupPage() {
  const [params] = useSearchParams();
  const [form, setForm] = useState({ org_slug: '', org_name: '', email: '', password: '', name: '' });
  const { error, busy, submit } = useAuthSubmit('/v1/setup');
  const field = (key: keyof typeof form) => ({ value: form[key], onChange: (e: { currentTarget: { value: string } }) => setForm({ ...form, [key]: e.currentTarget.value }) });
  return (
    <Card title="Set up Auditum">
      <Text c="dimmed" size="sm">Create the first organization and its owner.</Text>
      <form onSubmit={(e) => submit(e, { token: params.get('token') ?? '', ...form, org_name: form.org_name || undefined, name: form.name || undefined })}>
        <Stack>
          <TextInput label="Organization name" {...field('org_name')} />
          <TextInput label="Organization slug" description="lowercase letters, digits and hyphens" required {...field('org_slug')} />
          <TextInput label="Your name" {...field('name')} />
          <TextInput label="Email" type="email" required {...field('email')} />
          <PasswordInput label="Password" description="at least 10 characters" required {...field('password')} />
          {error && <Alert color="red" role="alert">{error}</Alert>}
          <Button type="submit" loading={busy}>
            Create organization
          </Button>
        </Stack>
      </form>
    </Card>
  );
}

export function AcceptInvitePage() {
  const [params] = useSearchParams();
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const { error, busy, submit } = useAuthSubmit('/v1/invites/accept');
  return (
    <Card title="Join your team on Auditum">
      <form onSubmit={(e) => submit(e, { token: params.get('token') ?? '', password, name: name || undefined })}>
        <Stack>
          <TextInput label="Your name" value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <PasswordInput label="Password" description="choose one (at least 10 characters), or enter yours if you already have an account" required value={password} onChange={(e) => setPassword(e.currentTarget.value)} />
          {error && <Alert color="red" role="alert">{error}</Alert>}
          <Button type="submit" loading={busy}>
            Accept invitation
          </Button>
        </Stack>
      </form>
    </Card>
  );
}

import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent, type ReactNode } from 'react';
import { useNavigate, useSearchParams } from 'react-router-dom';
import { errorMessage } from '../lib/api.ts';
import { slugFrom, useFormErrors } from '../lib/form-errors.ts';
import { useInviteLookup, useOpenSession, useSetupPending, type SessionPath } from '../api/session.ts';

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

/** Submits a form to a route that opens a session, then goes on to where the sign-in was asked for. */
function useAuthSubmit(path: SessionPath, onError?: (error: unknown) => void) {
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const open = useOpenSession(path);
  function submit(event: FormEvent, body: unknown) {
    event.preventDefault();
    open.mutate(body, {
      onSuccess: () => {
        const next = params.get('next');
        navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
      },
      onError,
    });
  }
  const error = open.error && !onError ? errorMessage(open.error) : null;
  return { error, busy: open.isPending, submit };
}

export function LoginPage() {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const { error, busy, submit } = useAuthSubmit('/v1/auth/login');
  const setup = useSetupPending();
  return (
    <Card title="Sign in to Auditum">
      {setup.data?.pending && (
        <Alert color="indigo" title="Setup is pending" role="status">
          Nobody can sign in yet: Auditum waits for its first owner. When the server started it printed a one-time
          setup link in its console (a framed box, &ldquo;Auditum is ready to be set up&rdquo;, and the log line
          &ldquo;no user exists yet&rdquo;). Open that link to create the organization and its owner.
        </Alert>
      )}
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

const SETUP_FIELDS = ['org_name', 'org_slug', 'name', 'email', 'password', 'token'] as const;
type SetupField = (typeof SETUP_FIELDS)[number];
const SETUP_WORDS: Partial<Record<SetupField, string>> = {
  org_slug: "The organization's short name may use a-z, 0-9 and - (not at the start or end), up to 63 characters.",
  email: 'Enter an email address such as you@example.com.',
  password: 'Choose a password of at least 10 characters.',
};

export function SetupPage() {
  const [params] = useSearchParams();
  const [form, setForm] = useState({ org_slug: '', org_name: '', email: '', password: '', name: '' });
  // The short name follows the organization's name until the user edits it.
  const [slugEdited, setSlugEdited] = useState(false);
  const errors = useFormErrors(SETUP_FIELDS, SETUP_WORDS);
  const { busy, submit } = useAuthSubmit('/v1/setup', errors.show);
  const field = (key: keyof typeof form) => ({
    value: form[key],
    error: errors.fields[key],
    onChange: (e: { currentTarget: { value: string } }) => {
      const value = e.currentTarget.value;
      errors.clear(key);
      if (key === 'org_slug') setSlugEdited(value !== '');
      setForm((f) => ({ ...f, [key]: value, ...(key === 'org_name' && !slugEdited ? { org_slug: slugFrom(value) } : {}) }));
    },
  });
  return (
    <Card title="Set up Auditum">
      <Text c="dimmed" size="sm">Create the first organization and its owner.</Text>
      <form noValidate onSubmit={(e) => submit(e, { token: params.get('token') ?? '', ...form, org_name: form.org_name || undefined, name: form.name || undefined })}>
        <Stack>
          <TextInput label="Organization name" {...field('org_name')} />
          <TextInput label="Organization short name" description="Used in URLs and to sign in: a-z, 0-9 and -" required {...field('org_slug')} />
          <TextInput label="Your name" {...field('name')} />
          <TextInput label="Email" type="email" required {...field('email')} />
          <PasswordInput label="Password" description="At least 10 characters" required {...field('password')} />
          {(errors.general || errors.fields.token) && <Alert color="red" role="alert">{errors.fields.token ?? errors.general}</Alert>}
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
  const token = params.get('token') ?? '';
  const invite = useInviteLookup(token);
  const spent = invite.isError || (invite.data && invite.data.status !== 'pending');
  if (spent) {
    const status = invite.data?.status;
    return (
      <Card title="Join your team on Auditum">
        <Alert color="red" role="alert" title="This invitation link cannot be used">
          {status === 'accepted' ? 'It was already accepted: sign in instead.' : status === 'expired' ? 'It has expired.' : status === 'revoked' ? 'It was revoked.' : 'It is not a valid invitation.'}{' '}
          Ask an admin of the organization for a new invitation.
        </Alert>
      </Card>
    );
  }
  return (
    <Card title="Join your team on Auditum">
      {invite.data && (
        <Text size="sm" role="status">
          You are invited to <b>{invite.data.org_name}</b> as <b>{invite.data.role}</b>, with the email <b>{invite.data.email}</b>.
          {invite.data.existing_account ? ' You already have an account: enter its password.' : ''}
        </Text>
      )}
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

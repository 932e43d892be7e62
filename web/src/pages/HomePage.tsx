import { Alert, Stack, Title } from '@mantine/core';
import type { Me } from '../lib/types.ts';

/** What members see: they belong to the organization but cannot read its audit log. */
export function HomePage({ me }: { me: Me }) {
  return (
    <Stack maw={640}>
      <Title order={2}>Welcome, {me.user.name ?? me.user.email}</Title>
      <Alert color="gray" title={`You are a member of ${me.org.name}`}>
        Only organization owners and admins can view audit logs. Ask an owner if you need access.
      </Alert>
    </Stack>
  );
}

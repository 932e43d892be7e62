import { Alert, Button, Stack, Text } from '@mantine/core';
import { errorMessage } from '../lib/api.ts';

/** A failed load said in words, with a Retry button (a network that is gone, a server down). */
export function RetryAlert({ title, error, retrying, onRetry }: { title: string; error: unknown; retrying: boolean; onRetry: () => void }) {
  return (
    <Alert color="red" title={title} role="alert" maw={640}>
      <Stack gap="xs" align="flex-start">
        <Text size="sm">{errorMessage(error)}</Text>
        <Button size="xs" variant="light" color="red" onClick={onRetry} loading={retrying}>
          Retry
        </Button>
      </Stack>
    </Alert>
  );
}

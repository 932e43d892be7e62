import { Alert, Code, Group, Stack, Text } from '@mantine/core';
import { CopyIcon } from './JsonView.tsx';

/** A secret shown once, right after creation, with a copy button; it is never fetched again. */
export function SecretOnce({ label, value, onDismiss }: { label: string; value: string; onDismiss: () => void }) {
  return (
    <Alert color="yellow" title={label} withCloseButton onClose={onDismiss} closeButtonLabel="I have copied it">
      <Stack gap={4}>
        <Text size="sm">Copy it now: it will not be shown again.</Text>
        <Group gap={4} wrap="nowrap">
          <Code style={{ wordBreak: 'break-all' }}>{value}</Code>
          <CopyIcon value={value} label={`Copy ${label}`} />
        </Group>
      </Stack>
    </Alert>
  );
}

import { ActionIcon, Box, CopyButton, Group, Text, Tooltip, UnstyledButton } from '@mantine/core';
import { IconCheck, IconChevronDown, IconChevronRight, IconCopy } from '@tabler/icons-react';
import { useState } from 'react';

export function CopyIcon({ value, label }: { value: string; label: string }) {
  return (
    <CopyButton value={value} timeout={1500}>
      {({ copied, copy }) => (
        <Tooltip label={copied ? 'Copied' : label} withArrow>
          <ActionIcon variant="subtle" color={copied ? 'teal' : 'gray'} size="sm" onClick={copy} aria-label={label}>
            {copied ? <IconCheck size={14} /> : <IconCopy size={14} />}
          </ActionIcon>
        </Tooltip>
      )}
    </CopyButton>
  );
}

function Scalar({ value }: { value: unknown }) {
  const color = `var(--auditum-text-${typeof value === 'string' ? 'teal' : typeof value === 'number' ? 'blue' : 'grape'})`;
  return (
    <Text component="span" c={color} ff="monospace" size="sm" style={{ wordBreak: 'break-all' }}>
      {JSON.stringify(value)}
    </Text>
  );
}

function Node({ name, value, depth }: { name?: string; value: unknown; depth: number }) {
  const [open, setOpen] = useState(depth < 2);
  const isObject = value !== null && typeof value === 'object';
  const label = name !== undefined && (
    <Text component="span" ff="monospace" size="sm" fw={600}>
      {name}:{' '}
    </Text>
  );
  if (!isObject) {
    return (
      <Box pl={depth ? 16 : 0}>
        {label}
        <Scalar value={value} />
      </Box>
    );
  }
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as Record<string, unknown>);
  const summary = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
  return (
    <Box pl={depth ? 16 : 0}>
      <Group gap={4} wrap="nowrap">
        <UnstyledButton onClick={() => setOpen(!open)} aria-expanded={open} aria-label={`${open ? 'Collapse' : 'Expand'} ${name ?? 'value'}`}>
          <Group gap={2} wrap="nowrap">
            {open ? <IconChevronDown size={14} /> : <IconChevronRight size={14} />}
            {label}
            <Text component="span" c="dimmed" size="sm" ff="monospace">
              {summary}
            </Text>
          </Group>
        </UnstyledButton>
        {name !== undefined && <CopyIcon value={JSON.stringify(value, null, 2)} label={`Copy ${name}`} />}
      </Group>
      {open && entries.map(([k, v]) => <Node key={k} name={k} value={v} depth={depth + 1} />)}
    </Box>
  );
}

/** Pretty, collapsible JSON with copy buttons for the whole value and each nested object. */
export function JsonView({ value, label }: { value: unknown; label: string }) {
  return (
    <Box p="xs" style={{ border: '1px solid var(--mantine-color-default-border)', borderRadius: 'var(--mantine-radius-md)', overflowX: 'auto' }} aria-label={label}>
      <Group justify="flex-end" gap={0} style={{ float: 'right' }}>
        <CopyIcon value={JSON.stringify(value, null, 2)} label={`Copy ${label}`} />
      </Group>
      <Node value={value} depth={0} />
    </Box>
  );
}

import { Badge, Button, Code, Stack, Table, Text } from '@mantine/core';
import { useState } from 'react';
import { changesOf, type Change } from '../lib/changes.ts';
import { JsonView } from './JsonView.tsx';

const KIND_LABELS: Record<Change['kind'], string> = { added: 'Added', removed: 'Removed', changed: 'Changed' };

const shown = (value: unknown) =>
  value === undefined ? <Text span c="dimmed" size="sm">—</Text> : <Code style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>{JSON.stringify(value)}</Code>;

/** What changed, as a readable before-and-after table, when the entry records it; the raw JSON is a click away. */
export function ChangeDiff({ metadata }: { metadata: Record<string, unknown> | null }) {
  const [raw, setRaw] = useState(false);
  const changes = changesOf(metadata);
  if (!changes) return null;
  return (
    <Stack gap="xs">
      {changes.length === 0 ? (
        <Text size="sm" c="dimmed">Nothing changed.</Text>
      ) : (
        <Table aria-label="Changes" withTableBorder verticalSpacing={4}>
          <Table.Thead>
            <Table.Tr><Table.Th>Field</Table.Th><Table.Th>Change</Table.Th><Table.Th>Before</Table.Th><Table.Th>After</Table.Th></Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {changes.map((c) => (
              <Table.Tr key={`${c.path}:${c.kind}`}>
                <Table.Td><Text size="sm" ff="monospace">{c.path}</Text></Table.Td>
                <Table.Td><Badge variant="outline" color="gray" tt="none">{KIND_LABELS[c.kind]}</Badge></Table.Td>
                <Table.Td>{shown(c.before)}</Table.Td>
                <Table.Td>{shown(c.after)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Button variant="subtle" size="compact-xs" w="fit-content" onClick={() => setRaw((r) => !r)} aria-expanded={raw}>
        {raw ? 'Hide raw JSON' : 'Show raw JSON'}
      </Button>
      {raw && <JsonView value={metadata} label="changes as recorded" />}
    </Stack>
  );
}

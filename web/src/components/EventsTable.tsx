import { ActionIcon, Badge, Group, Skeleton, Stack, Table, Text, Tooltip } from '@mantine/core';
import { IconEye } from '@tabler/icons-react';
import type { Entry } from '../lib/types.ts';
import { ACTOR_TAGS, RESULT_COLORS, RESULT_LABELS, categoryColor, formatLocal, formatUtc } from '../lib/format.ts';

export function ActorCell({ actor }: { actor: Entry['actor'] }) {
  return (
    <Stack gap={2}>
      <Group gap={6} wrap="nowrap">
        <Text size="sm" truncate="end" maw={240}>
          {actor.email ?? actor.name ?? actor.id}
        </Text>
        {ACTOR_TAGS[actor.type] && (
          <Badge size="xs" variant="light" color="gray">
            {ACTOR_TAGS[actor.type]}
          </Badge>
        )}
      </Group>
      {actor.on_behalf_of && (
        <Text size="xs" c="dimmed">
          on behalf of {actor.on_behalf_of.email ?? actor.on_behalf_of.id}
        </Text>
      )}
    </Stack>
  );
}

export function ResultBadge({ result }: { result: Entry['result'] }) {
  return (
    <Badge color={RESULT_COLORS[result]} variant="light">
      {RESULT_LABELS[result]}
    </Badge>
  );
}

/** The audit log table; `fresh` marks rows that arrived through live tail. */
export function EventsTable({ entries, loading, fresh, onOpen }: { entries: Entry[]; loading: boolean; fresh: Set<string>; onOpen: (entry: Entry) => void }) {
  return (
    <Table.ScrollContainer minWidth={900}>
      <Table highlightOnHover verticalSpacing="xs" aria-label="Audit log entries">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Timestamp</Table.Th>
            <Table.Th>Event Type</Table.Th>
            <Table.Th>Actor</Table.Th>
            <Table.Th>Project</Table.Th>
            <Table.Th>Action</Table.Th>
            <Table.Th>Result</Table.Th>
            <Table.Th>
              <span className="visually-hidden" style={{ position: 'absolute', width: 1, height: 1, overflow: 'hidden', clip: 'rect(0 0 0 0)' }}>
                Details
              </span>
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {entries.map((entry) => (
            <Table.Tr key={entry.id} data-fresh={fresh.has(entry.id) || undefined} style={fresh.has(entry.id) ? { background: 'var(--mantine-color-indigo-light)' } : undefined}>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>
                <Tooltip label={formatUtc(entry.occurred_at)} withArrow>
                  <Text size="sm" component="time" dateTime={entry.occurred_at}>
                    {formatLocal(entry.occurred_at)}
                  </Text>
                </Tooltip>
              </Table.Td>
              <Table.Td>
                <Badge color={categoryColor(entry.category)} variant="light" tt="none">
                  {entry.type}
                </Badge>
              </Table.Td>
              <Table.Td>
                <ActorCell actor={entry.actor} />
              </Table.Td>
              <Table.Td>
                <Text size="sm">{entry.project ? entry.project.name ?? entry.project.id : '—'}</Text>
              </Table.Td>
              <Table.Td maw={360}>
                <Text size="sm" lineClamp={2}>
                  {entry.action ?? '—'}
                </Text>
              </Table.Td>
              <Table.Td>
                <ResultBadge result={entry.result} />
              </Table.Td>
              <Table.Td>
                <ActionIcon variant="subtle" aria-label="View details" onClick={() => onOpen(entry)}>
                  <IconEye size={18} />
                </ActionIcon>
              </Table.Td>
            </Table.Tr>
          ))}
          {loading &&
            Array.from({ length: 6 }, (_, i) => (
              <Table.Tr key={`skeleton-${i}`} aria-hidden>
                {Array.from({ length: 7 }, (_, j) => (
                  <Table.Td key={j}>
                    <Skeleton height={14} radius="sm" />
                  </Table.Td>
                ))}
              </Table.Tr>
            ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

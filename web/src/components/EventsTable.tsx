import { ActionIcon, Badge, Button, Group, Paper, Skeleton, Stack, Table, Text, Tooltip } from '@mantine/core';
import { IconEye } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import type { ColumnKey } from '../lib/columns.ts';
import { COLUMNS } from '../lib/columns.ts';
import type { Entry } from '../lib/types.ts';
import { ACTOR_TAGS, RESULT_COLORS, RESULT_LABELS, categoryColor, formatLocal, formatLocalParts, formatUtc } from '../lib/format.ts';

/** A badge that is never cut: it keeps its full width and the columns around it give way. */
const WHOLE = { root: { minWidth: 'max-content', overflow: 'visible' }, label: { overflow: 'visible' } };

export function ActorCell({ actor, maw = 240 }: { actor: Entry['actor']; maw?: number }) {
  const main = actor.name ?? actor.email ?? actor.id;
  return (
    <Stack gap={0} maw={maw}>
      <Group gap={6} wrap="nowrap">
        <Text size="sm" truncate="end" fw={actor.name ? 500 : undefined}>
          {main}
        </Text>
        {ACTOR_TAGS[actor.type] && (
          <Badge size="xs" variant="light" color="gray" styles={WHOLE}>
            {ACTOR_TAGS[actor.type]}
          </Badge>
        )}
      </Group>
      {actor.name && actor.email && (
        <Text size="xs" c="dimmed" truncate="end">
          {actor.email}
        </Text>
      )}
      {actor.on_behalf_of && (
        <Text size="xs" c="dimmed" truncate="end">
          on behalf of {actor.on_behalf_of.email ?? actor.on_behalf_of.id}
        </Text>
      )}
    </Stack>
  );
}

export function TargetCell({ target, maw = 220 }: { target: Entry['target']; maw?: number }) {
  if (!target) return <Text size="sm" c="dimmed">—</Text>;
  return (
    <Stack gap={0} maw={maw}>
      <Text size="sm" truncate="end">
        {target.name ?? target.id}
      </Text>
      <Text size="xs" c="dimmed" truncate="end">
        {target.type}
        {target.name ? ` · ${target.id}` : ''}
      </Text>
    </Stack>
  );
}

export function ResultBadge({ result }: { result: Entry['result'] }) {
  return (
    <Badge color={RESULT_COLORS[result]} variant="light" styles={WHOLE}>
      {RESULT_LABELS[result]}
    </Badge>
  );
}

export function TypeBadge({ entry }: { entry: Pick<Entry, 'type' | 'category'> }) {
  return (
    <Tooltip label={`Category: ${entry.category}`} withArrow openDelay={400}>
      <Badge color={categoryColor(entry.category)} variant="light" tt="none" styles={WHOLE}>
        {entry.type}
      </Badge>
    </Tooltip>
  );
}

function TimeCell({ iso }: { iso: string }) {
  const { date, time } = formatLocalParts(iso);
  return (
    <Tooltip label={formatUtc(iso)} withArrow>
      <Text size="sm" component="time" dateTime={iso} style={{ whiteSpace: 'nowrap', display: 'block' }}>
        {date}
        <Text span size="xs" c="dimmed" display="block">
          {time}
        </Text>
      </Text>
    </Tooltip>
  );
}

const CELLS: Record<ColumnKey, (entry: Entry) => ReactNode> = {
  time: (e) => <TimeCell iso={e.occurred_at} />,
  type: (e) => <TypeBadge entry={e} />,
  actor: (e) => <ActorCell actor={e.actor} maw={170} />,
  target: (e) => <TargetCell target={e.target} maw={170} />,
  action: (e) => (
    <Text size="sm" lineClamp={2} style={{ wordBreak: 'break-word' }}>
      {e.action ?? '—'}
    </Text>
  ),
  project: (e) => (
    <Text size="sm" truncate="end" maw={160}>
      {e.project ? e.project.name ?? e.project.id : '—'}
    </Text>
  ),
  ip: (e) => <Text size="xs" ff="monospace" style={{ whiteSpace: 'nowrap' }}>{e.ip ?? '—'}</Text>,
  result: (e) => <ResultBadge result={e.result} />,
};

/** Optional columns that no loaded entry has a value for take no space. */
const HAS_VALUE: Partial<Record<ColumnKey, (entry: Entry) => boolean>> = {
  target: (e) => e.target !== null,
  project: (e) => e.project !== null,
  ip: (e) => e.ip !== null,
};

const label = (key: ColumnKey) => COLUMNS.find((c) => c.key === key)!.label;

interface TableProps {
  entries: Entry[];
  loading: boolean;
  fresh: Set<string>;
  columns: ColumnKey[];
  /** Cards instead of a table (narrow screens), or a table that scrolls sideways (medium ones). */
  layout: 'table' | 'scroll' | 'cards';
  onOpen: (entry: Entry) => void;
}

const freshStyle = { background: 'var(--mantine-color-indigo-light)' };
/** A click that ends a text selection is not a click on the row. */
const selecting = () => (window.getSelection()?.toString() ?? '') !== '';

function DetailsButton({ entry, onOpen }: { entry: Entry; onOpen: (entry: Entry) => void }) {
  return (
    <ActionIcon variant="subtle" aria-label="View details" onClick={(event) => (event.stopPropagation(), onOpen(entry))}>
      <IconEye size={18} />
    </ActionIcon>
  );
}

/** One card per entry, for phones: every field a row shows, and its details one tap away. */
function EventCards({ entries, loading, fresh, onOpen }: TableProps) {
  return (
    <Stack gap="xs" p="xs" role="list" aria-label="Audit log entries">
      {entries.map((entry) => (
        <Paper key={entry.id} withBorder p="sm" role="listitem" data-fresh={fresh.has(entry.id) || undefined} style={fresh.has(entry.id) ? freshStyle : undefined}>
          <Stack gap={6}>
            <Group justify="space-between" wrap="nowrap" gap="xs">
              <TypeBadge entry={entry} />
              <ResultBadge result={entry.result} />
            </Group>
            <Tooltip label={formatUtc(entry.occurred_at)} withArrow>
              <Text size="xs" c="dimmed" component="time" dateTime={entry.occurred_at}>
                {formatLocal(entry.occurred_at)}
              </Text>
            </Tooltip>
            <ActorCell actor={entry.actor} maw={320} />
            {entry.action && <Text size="sm" style={{ whiteSpace: 'pre-line' }} lineClamp={3}>{entry.action}</Text>}
            {entry.target && <TargetCell target={entry.target} maw={320} />}
            <Button variant="light" size="xs" onClick={() => onOpen(entry)}>
              View details
            </Button>
          </Stack>
        </Paper>
      ))}
      {loading && Array.from({ length: 3 }, (_, i) => <Skeleton key={i} height={120} radius="md" aria-hidden />)}
    </Stack>
  );
}

/** The audit log table; `fresh` marks rows that arrived through live tail. A click on a row opens it. */
export function EventsTable(props: TableProps) {
  const { entries, loading, fresh, columns, layout, onOpen } = props;
  if (layout === 'cards') return <EventCards {...props} />;
  const shown = columns.filter((key) => !HAS_VALUE[key] || entries.length === 0 || entries.some(HAS_VALUE[key]!));
  const table = (
    <Table highlightOnHover verticalSpacing="xs" horizontalSpacing={8} aria-label="Audit log entries" stickyHeader={layout === 'table'} stickyHeaderOffset={56}>
      <Table.Thead>
        <Table.Tr>
          {shown.map((key) => (
            <Table.Th key={key} style={key === 'action' ? { minWidth: 160 } : { whiteSpace: 'nowrap' }}>
              {label(key)}
            </Table.Th>
          ))}
          <Table.Th>
            <span style={{ position: 'absolute', width: 1, height: 1, overflow: 'hidden', clip: 'rect(0 0 0 0)' }}>Details</span>
          </Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {entries.map((entry) => (
          <Table.Tr key={entry.id} data-fresh={fresh.has(entry.id) || undefined} onClick={() => !selecting() && onOpen(entry)} style={{ cursor: 'pointer', ...(fresh.has(entry.id) ? freshStyle : {}) }}>
            {shown.map((key) => (
              <Table.Td key={key}>{CELLS[key](entry)}</Table.Td>
            ))}
            <Table.Td>
              <DetailsButton entry={entry} onOpen={onOpen} />
            </Table.Td>
          </Table.Tr>
        ))}
        {loading &&
          Array.from({ length: 6 }, (_, i) => (
            <Table.Tr key={`skeleton-${i}`} aria-hidden>
              {Array.from({ length: shown.length + 1 }, (_, j) => (
                <Table.Td key={j}>
                  <Skeleton height={14} radius="sm" />
                </Table.Td>
              ))}
            </Table.Tr>
          ))}
      </Table.Tbody>
    </Table>
  );
  return layout === 'scroll' ? <Table.ScrollContainer minWidth={1000}>{table}</Table.ScrollContainer> : table;
}

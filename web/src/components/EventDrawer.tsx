import { ActionIcon, Alert, Code, Divider, Drawer, Group, Loader, SimpleGrid, Stack, Text, Title, Tooltip } from '@mantine/core';
import { useHotkeys } from '@mantine/hooks';
import { IconChevronDown, IconChevronUp, IconFilter, IconShieldCheck, IconShieldX } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { errorMessage } from '../lib/api.ts';
import { formatLocalFull, formatUtc } from '../lib/format.ts';
import type { Entry } from '../lib/types.ts';
import type { Filters } from '../lib/filters.ts';
import { ActorCell, ResultBadge, TargetCell, TypeBadge } from './EventsTable.tsx';
import { CopyIcon, JsonView } from './JsonView.tsx';
import { useEntry } from '../api/events.ts';
import { useEntryIntegrity } from '../api/integrity.ts';
import { ChangeDiff } from './ChangeDiff.tsx';
import { changesOf } from '../lib/changes.ts';

function Field({ label, children, filter }: { label: string; children: ReactNode; filter?: () => void }) {
  return (
    <Stack gap={2}>
      <Text size="xs" c="dimmed" fw={600} tt="uppercase">
        {label}
      </Text>
      <Group gap={4} wrap="nowrap" align="flex-start">
        <div style={{ minWidth: 0 }}>{children}</div>
        {filter && (
          <Tooltip label={`Show only entries with this ${label.toLowerCase()}`} withArrow>
            <ActionIcon variant="subtle" color="gray" size="sm" onClick={filter} aria-label={`Filter by this ${label.toLowerCase()}`}>
              <IconFilter size={14} />
            </ActionIcon>
          </Tooltip>
        )}
      </Group>
    </Stack>
  );
}

function Mono({ value }: { value: string | number }) {
  return (
    <Group gap={4} wrap="nowrap">
      <Text ff="monospace" size="sm" style={{ wordBreak: 'break-all' }}>
        {value}
      </Text>
      <CopyIcon value={String(value)} label="Copy" />
    </Group>
  );
}

/** Checks the entry's own hash in the browser, and its inclusion in the latest signed checkpoint. */
function IntegrityIndicator({ entry }: { entry: Entry }) {
  const check = useEntryIntegrity(entry);
  if (check.isPending) return <Loader size="sm" aria-label="Checking integrity" />;
  if (check.isError) return <Alert color="red">{errorMessage(check.error)}</Alert>;
  const { hashOk, checkpoint } = check.data;
  const ok = hashOk && (checkpoint === null || checkpoint.included);
  return (
    <Alert color={ok ? 'teal' : 'red'} icon={ok ? <IconShieldCheck /> : <IconShieldX />} title={ok ? 'Integrity verified' : 'Integrity check failed'} aria-label="Integrity">
      <Stack gap={2}>
        <Text size="sm">{hashOk ? 'The entry hash matches its content (checked in your browser).' : 'The entry hash does not match its content.'}</Text>
        <Text size="sm">
          {checkpoint
            ? checkpoint.included
              ? `Included in checkpoint #${checkpoint.number}, signed ${formatLocalFull(checkpoint.signed)}.`
              : `The inclusion proof for checkpoint #${checkpoint.number} does not verify.`
            : 'Not in a signed checkpoint yet; the next checkpoint will include it.'}
        </Text>
      </Stack>
    </Alert>
  );
}

/** Which fields an erasure removed (they read "[erased]"), so an erased value is never mistaken for a recorded one. */
function ErasedNotice({ entry }: { entry: Entry }) {
  const erased = Object.entries(entry.personal ?? {}).filter(([, field]) => 'commitment' in field).map(([path]) => path);
  if (erased.length === 0) return null;
  return (
    <Alert color="gray" title="Personal data erased" aria-label="Erased fields">
      <Text size="sm">
        {`These fields were erased on request and read "[erased]": ${erased.join(', ')}. `}
        The entry still verifies: its hash covers a commitment to each value, not the value.
      </Text>
    </Alert>
  );
}

/** The details drawer (also a deep link): overview, request, technical information, metadata, integrity. */
export function EventDrawer({ id, onClose, onPrevious, onNext, onFilter }: {
  id: string | null;
  onClose: () => void;
  /** The newer and the older entry of the list, when there is one. */
  onPrevious?: () => void;
  onNext?: () => void;
  /** Narrows the list to entries sharing one of this entry's values. */
  onFilter?: (patch: Partial<Filters>) => void;
}) {
  const entry = useEntry(id);
  const e = entry.data;
  // j and k step through the list, as in mail and log viewers.
  useHotkeys(id === null ? [] : [['j', () => onNext?.()], ['k', () => onPrevious?.()]]);
  const by = (patch: Partial<Filters>) => (onFilter ? () => onFilter(patch) : undefined);
  const title = (
    <Group gap="xs">
      <Title order={3}>Event details</Title>
      <Tooltip label="Newer entry (k)" withArrow>
        <ActionIcon variant="default" onClick={onPrevious} disabled={!onPrevious} aria-label="Previous entry">
          <IconChevronUp size={16} />
        </ActionIcon>
      </Tooltip>
      <Tooltip label="Older entry (j)" withArrow>
        <ActionIcon variant="default" onClick={onNext} disabled={!onNext} aria-label="Next entry">
          <IconChevronDown size={16} />
        </ActionIcon>
      </Tooltip>
    </Group>
  );
  return (
    <Drawer opened={id !== null} onClose={onClose} position="right" size="xl" title={title} closeButtonProps={{ 'aria-label': 'Close details' }}>
      {entry.isPending && <Loader aria-label="Loading event" />}
      {entry.isError && <Alert color="red">{errorMessage(entry.error)}</Alert>}
      {e && (
        <Stack gap="lg">
          <ErasedNotice entry={e} />
          <section aria-label="Event overview">
            <Title order={4} mb="sm">Event overview</Title>
            <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="md">
              <Field label="Timestamp">
                <Text size="sm">{formatLocalFull(e.occurred_at)}</Text>
                <Text size="xs" c="dimmed">{formatUtc(e.occurred_at)}</Text>
              </Field>
              <Field label="Result"><ResultBadge result={e.result} /></Field>
              <Field label="Actor" filter={by({ actor: e.actor.email ?? e.actor.id })}><ActorCell actor={e.actor} maw={320} /></Field>
              <Field label="Event type" filter={by({ types: [e.type] })}><TypeBadge entry={e} /> <Text span size="xs" c="dimmed">{e.category}</Text></Field>
              <Field label="Action"><Text size="sm" style={{ whiteSpace: 'pre-wrap', wordBreak: 'break-word' }}>{e.action ?? '—'}</Text></Field>
              <Field label="Target" filter={e.target ? by({ target: `${e.target.type}:${e.target.id}` }) : undefined}><TargetCell target={e.target} maw={320} /></Field>
              <Field label="Project" filter={e.project ? by({ project: e.project.id }) : undefined}>
                <Text size="sm">{e.project ? e.project.name ?? e.project.id : '—'}</Text>
                {e.project?.name && <Text size="xs" c="dimmed">{e.project.id}</Text>}
              </Field>
              <Field label="IP address" filter={e.ip ? by({ ip: e.ip }) : undefined}><Text size="sm">{e.ip ?? '—'}</Text></Field>
            </SimpleGrid>
          </section>
          <Divider />
          <section aria-label="Request details">
            <Title order={4} mb="sm">Request details</Title>
            {e.request ? (
              <Stack gap="sm">
                <Code block>{`${e.request.method} ${e.request.path}${e.request.status ? `  →  ${e.request.status}` : ''}`}</Code>
                {e.request.body !== undefined && <Field label="Request body"><JsonView value={e.request.body} label="request body" /></Field>}
                {e.request.response !== undefined && <Field label="Response"><JsonView value={e.request.response} label="response" /></Field>}
                {e.user_agent && <Field label="User agent"><Text size="sm">{e.user_agent}</Text></Field>}
              </Stack>
            ) : (
              <Text size="sm" c="dimmed">No request was recorded with this event.</Text>
            )}
          </section>
          <Divider />
          <section aria-label="Technical information">
            <Title order={4} mb="sm">Technical information</Title>
            <Stack gap="xs">
              <Field label="Event id"><Mono value={e.id} /></Field>
              <Field label="Organization id"><Mono value={e.org_id} /></Field>
              <Field label="Actor id"><Mono value={e.actor.id} /></Field>
              <Field label="Position in the chain (seq)"><Mono value={e.seq} /></Field>
              <Field label="Hash"><Mono value={e.hash} /></Field>
              <Field label="Previous hash"><Mono value={e.prev_hash} /></Field>
              <Field label="Hash version"><Mono value={e.hash_version ?? 1} /></Field>
              <Field label="Received"><Text size="sm">{formatUtc(e.received_at)}</Text></Field>
            </Stack>
          </section>
          <Divider />
          {changesOf(e.metadata) && (
            <section aria-label="What changed">
              <Title order={4} mb="sm">What changed</Title>
              <ChangeDiff metadata={e.metadata} />
            </section>
          )}
          <section aria-label="Metadata">
            <Title order={4} mb="sm">Metadata</Title>
            {e.metadata ? <JsonView value={e.metadata} label="metadata" /> : <Text size="sm" c="dimmed">No metadata.</Text>}
          </section>
          <IntegrityIndicator entry={e} />
        </Stack>
      )}
    </Drawer>
  );
}

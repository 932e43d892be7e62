import { Badge, Button, Collapse, Grid, Group, MultiSelect, Select, Stack, TextInput } from '@mantine/core';
import { DateTimePicker } from '@mantine/dates';
import { useDebouncedValue, useDisclosure, useMediaQuery } from '@mantine/hooks';
import { IconAdjustmentsHorizontal, IconSearch, IconX } from '@tabler/icons-react';
import { useEffect, useRef, useState } from 'react';
import { useEventTypes } from '../api/events.ts';
import { activeFilterCount, EMPTY_FILTERS, RANGE_LABELS, hasFilters, writeFilters, type Filters, type RangeKey } from '../lib/filters.ts';
import { RESULT_LABELS } from '../lib/format.ts';
import { FILTER_DEBOUNCE_MS, SuggestInput } from './SuggestInput.tsx';

const canonical = (f: Filters) => writeFilters(f).toString();
const toDate = (iso: string) => (iso ? new Date(iso) : null);
const fromPicker = (value: string | Date | null) => (value ? new Date(value).toISOString() : '');

/** A plain text filter (search, IP) that applies as you type, after the same pause as the others. */
function DebouncedInput({ value, onApply, ...props }: { label: string; placeholder: string; value: string; onApply: (v: string) => void; icon?: boolean; grow?: boolean }) {
  const [text, setText] = useState(value);
  const [typed] = useDebouncedValue(text, FILTER_DEBOUNCE_MS);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (typed.trim() !== value) onApply(typed.trim());
    // Only the debounced text drives the filter.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [typed]);
  return (
    <TextInput
      label={props.label}
      placeholder={props.placeholder}
      leftSection={props.icon ? <IconSearch size={16} /> : undefined}
      value={text}
      onChange={(e) => setText(e.currentTarget.value)}
      style={props.grow ? { flex: '1 1 260px' } : undefined}
    />
  );
}

/** Every filter of the Audit Logs page; changes go straight to the URL. On a phone they fold into a panel. */
export function FiltersBar({ filters: fromUrl, onChange }: { filters: Filters; onChange: (next: Filters) => void }) {
  // The URL updates asynchronously; quick successive changes (two types picked in a row) build on
  // the latest change made here, not on a URL that has not caught up yet.
  const [filters, setLocal] = useState(fromUrl);
  const latest = useRef(fromUrl);
  const awaiting = useRef<string | null>(null);
  const urlKey = canonical(fromUrl);
  useEffect(() => {
    if (awaiting.current !== null && awaiting.current !== urlKey) return; // an older step of our own changes
    awaiting.current = null;
    latest.current = fromUrl;
    setLocal(fromUrl);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [urlKey]);
  const set = (patch: Partial<Filters>) => {
    const next = { ...latest.current, ...patch };
    latest.current = next;
    awaiting.current = canonical(next);
    setLocal(next);
    onChange(next);
  };
  const types = useEventTypes();
  const grouped = Object.entries(
    (types.data ?? []).reduce<Record<string, string[]>>((acc, t) => ((acc[t.category] ??= []).push(t.type), acc), {}),
  ).map(([group, items]) => ({ group, items }));
  // Types in the URL stay selectable even before (or without) the catalogue knowing them.
  const known = new Set((types.data ?? []).map((t) => t.type));
  const extra = filters.types.filter((t) => !known.has(t));
  const typeData = extra.length ? [...grouped, { group: 'selected', items: extra }] : grouped;

  const narrow = useMediaQuery('(max-width: 48em)') ?? false;
  const [panelOpen, panel] = useDisclosure(false);
  const count = activeFilterCount(filters);

  const fields = (
    <Grid gutter="sm" style={{ flex: '1 1 100%' }}>
      <Grid.Col span={{ base: 12, md: 4 }}>
        <MultiSelect label="Event types" placeholder="All types" data={typeData} value={filters.types} onChange={(v) => set({ types: v })} searchable clearable maxDropdownHeight={320} />
      </Grid.Col>
      <Grid.Col span={{ base: 12, xs: 6, md: 2 }}>
        <SuggestInput label="Actor" placeholder="Name, email or id" field="actor" value={filters.actor} onApply={(actor) => set({ actor })} />
      </Grid.Col>
      <Grid.Col span={{ base: 12, xs: 6, md: 2 }}>
        <SuggestInput label="Target" placeholder="Name, id or type:id" field="target" value={filters.target} onApply={(target) => set({ target })} />
      </Grid.Col>
      <Grid.Col span={{ base: 12, xs: 6, md: 2 }}>
        <SuggestInput label="Project" placeholder="Name or id" field="project" value={filters.project} onApply={(project) => set({ project })} />
      </Grid.Col>
      <Grid.Col span={{ base: 12, xs: 6, md: 2 }}>
        <MultiSelect label="Result" placeholder="Any result" data={Object.entries(RESULT_LABELS).map(([value, label]) => ({ value, label }))} value={filters.results} onChange={(v) => set({ results: v })} clearable />
      </Grid.Col>
    </Grid>
  );

  return (
    <Stack gap="sm">
      <Group align="flex-end" gap="sm">
        <DebouncedInput label="Search audit events" placeholder="Words or fragments anywhere in the entry" icon grow value={filters.q} onApply={(q) => set({ q })} />
        <Select
          label="Time range"
          data={Object.entries(RANGE_LABELS).map(([value, label]) => ({ value, label }))}
          value={filters.range}
          allowDeselect={false}
          w={200}
          onChange={(v) => set({ range: (v ?? '24h') as RangeKey, ...(v === 'custom' && !filters.from ? { from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date().toISOString() } : {}) })}
        />
        {!narrow && <DebouncedInput label="IP address" placeholder="Exact address" value={filters.ip} onApply={(ip) => set({ ip })} />}
        {narrow && (
          <Button variant="default" leftSection={<IconAdjustmentsHorizontal size={16} />} onClick={panel.toggle} aria-expanded={panelOpen}
            rightSection={count ? <Badge size="sm" circle aria-label={`${count} filters in force`}>{count}</Badge> : undefined}>
            Filters
          </Button>
        )}
      </Group>
      {narrow ? (
        <Collapse in={panelOpen}>
          <Stack gap="sm">
            {fields}
            <DebouncedInput label="IP address" placeholder="Exact address" value={filters.ip} onApply={(ip) => set({ ip })} />
          </Stack>
        </Collapse>
      ) : (
        fields
      )}
      {filters.range === 'custom' && (
        <Group gap="sm" grow>
          <DateTimePicker label="Start" clearButtonProps={{ 'aria-label': 'Clear start' }} withSeconds={false} value={toDate(filters.from)} onChange={(v) => set({ from: fromPicker(v) })} clearable valueFormat="MMM D, YYYY h:mm A" />
          <DateTimePicker label="End" clearButtonProps={{ 'aria-label': 'Clear end' }} withSeconds={false} value={toDate(filters.to)} onChange={(v) => set({ to: fromPicker(v) })} clearable valueFormat="MMM D, YYYY h:mm A" />
        </Group>
      )}
      {hasFilters(filters) && (
        <Group>
          <Button variant="subtle" leftSection={<IconX size={16} />} onClick={() => set(EMPTY_FILTERS)}>
            Clear filters
          </Button>
        </Group>
      )}
    </Stack>
  );
}

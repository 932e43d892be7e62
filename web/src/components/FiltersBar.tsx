import { Autocomplete, Button, Grid, Group, MultiSelect, Select, TextInput } from '@mantine/core';
import { DateTimePicker } from '@mantine/dates';
import { useDebouncedValue } from '@mantine/hooks';
import { IconSearch, IconX } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { api } from '../lib/api.ts';
import { EMPTY_FILTERS, RANGE_LABELS, hasFilters, writeFilters, type Filters, type RangeKey } from '../lib/filters.ts';

const canonical = (f: Filters) => writeFilters(f).toString();
import { RESULT_LABELS } from '../lib/format.ts';

const toDate = (iso: string) => (iso ? new Date(iso) : null);
const fromPicker = (value: string | Date | null) => (value ? new Date(value).toISOString() : '');

/** Every filter of the Audit Logs page; changes go straight to the URL. */
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
  const types = useQuery({ queryKey: ['event-types'], queryFn: () => api<{ types: Array<{ type: string; category: string }> }>('GET', '/v1/event-types'), staleTime: 300_000 });
  const grouped = Object.entries(
    (types.data?.types ?? []).reduce<Record<string, string[]>>((acc, t) => ((acc[t.category] ??= []).push(t.type), acc), {}),
  ).map(([group, items]) => ({ group, items }));
  // Types in the URL stay selectable even before (or without) the catalogue knowing them.
  const known = new Set((types.data?.types ?? []).map((t) => t.type));
  const extra = filters.types.filter((t) => !known.has(t));
  const typeData = extra.length ? [...grouped, { group: 'selected', items: extra }] : grouped;

  const [actorInput, setActorInput] = useState(filters.actor);
  const [actorTyped] = useDebouncedValue(actorInput, 250);
  const actors = useQuery({
    queryKey: ['actors', actorTyped],
    queryFn: () => api<{ actors: string[] }>('GET', `/v1/actors?prefix=${encodeURIComponent(actorTyped)}&limit=8`),
    staleTime: 60_000,
  });
  const [search, setSearch] = useState(filters.q);
  const [debouncedSearch] = useDebouncedValue(search, 350);
  useEffect(() => setActorInput(filters.actor), [filters.actor]);
  useEffect(() => setSearch(filters.q), [filters.q]);
  useEffect(() => {
    if (debouncedSearch !== filters.q) set({ q: debouncedSearch });
    // Only the debounced text drives the URL.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [debouncedSearch]);

  return (
    <Group align="flex-end" gap="sm">
      <TextInput
        label="Search audit events"
        placeholder="Words or fragments anywhere in the entry"
        leftSection={<IconSearch size={16} />}
        value={search}
        onChange={(e) => setSearch(e.currentTarget.value)}
        style={{ flex: '1 1 260px' }}
      />
      <Select
        label="Time range"
        data={Object.entries(RANGE_LABELS).map(([value, label]) => ({ value, label }))}
        value={filters.range}
        allowDeselect={false}
        w={200}
        onChange={(v) => set({ range: (v ?? '24h') as RangeKey, ...(v === 'custom' && !filters.from ? { from: new Date(Date.now() - 86_400_000).toISOString(), to: new Date().toISOString() } : {}) })}
      />
      <Grid gutter="sm" style={{ flex: '1 1 100%' }}>
        <Grid.Col span={{ base: 12, md: 4 }}>
          <MultiSelect label="Event types" placeholder="All types" data={typeData} value={filters.types} onChange={(v) => set({ types: v })} searchable clearable maxDropdownHeight={320} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, xs: 6, md: 2 }}>
          <Autocomplete
            label="Actor"
            placeholder="Email or id"
            data={actors.data?.actors ?? []}
            value={actorInput}
            onChange={setActorInput}
            onOptionSubmit={(v) => set({ actor: v })}
            onBlur={() => actorInput !== filters.actor && set({ actor: actorInput })}
            onKeyDown={(e) => e.key === 'Enter' && set({ actor: actorInput })}
          />
        </Grid.Col>
        <Grid.Col span={{ base: 12, xs: 6, md: 2 }}>
          <TextInput label="Target" placeholder="id, or type:id" defaultValue={filters.target} key={`target-${filters.target}`} onBlur={(e) => set({ target: e.currentTarget.value.trim() })} onKeyDown={(e) => e.key === 'Enter' && set({ target: e.currentTarget.value.trim() })} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, xs: 6, md: 2 }}>
          <TextInput label="Project" placeholder="Project id" defaultValue={filters.project} key={`project-${filters.project}`} onBlur={(e) => set({ project: e.currentTarget.value.trim() })} onKeyDown={(e) => e.key === 'Enter' && set({ project: e.currentTarget.value.trim() })} />
        </Grid.Col>
        <Grid.Col span={{ base: 12, xs: 6, md: 2 }}>
          <MultiSelect label="Result" placeholder="Any result" data={Object.entries(RESULT_LABELS).map(([value, label]) => ({ value, label }))} value={filters.results} onChange={(v) => set({ results: v })} clearable />
        </Grid.Col>
      </Grid>
      {filters.range === 'custom' && (
        <Group gap="sm" grow style={{ flex: '1 1 100%' }}>
          <DateTimePicker label="Start" withSeconds={false} value={toDate(filters.from)} onChange={(v) => set({ from: fromPicker(v) })} clearable valueFormat="MMM D, YYYY h:mm A" />
          <DateTimePicker label="End" withSeconds={false} value={toDate(filters.to)} onChange={(v) => set({ to: fromPicker(v) })} clearable valueFormat="MMM D, YYYY h:mm A" />
        </Group>
      )}
      {hasFilters(filters) && (
        <Button variant="subtle" leftSection={<IconX size={16} />} onClick={() => set(EMPTY_FILTERS)}>
          Clear filters
        </Button>
      )}
    </Group>
  );
}

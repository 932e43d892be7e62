import { Alert, Badge, Button, Center, Checkbox, Group, Paper, Popover, Stack, Switch, Text, Title } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { IconColumns, IconDownload, IconPlugConnected } from '@tabler/icons-react';
import { useQueryClient, type InfiniteData } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useNavigate, useParams, useSearchParams } from 'react-router-dom';
import { ActivityChart } from '../components/ActivityChart.tsx';
import { EventDrawer } from '../components/EventDrawer.tsx';
import { RetryAlert } from '../components/RetryAlert.tsx';
import { EventsTable } from '../components/EventsTable.tsx';
import { ExportDialog } from '../components/ExportDialog.tsx';
import { FiltersBar } from '../components/FiltersBar.tsx';
import { OtelDrawer } from '../components/OtelDrawer.tsx';
import { apiQuery, describeFilters, EMPTY_FILTERS, readFilters, writeFilters, type Filters } from '../lib/filters.ts';
import { formatCount } from '../lib/format.ts';
import { COLUMNS, useColumns, type ColumnKey } from '../lib/columns.ts';
import type { Entry, EventsPage, Me } from '../lib/types.ts';
import { useEventStream } from '../api/stream.ts';
import { eventKeys, useEventPages } from '../api/events.ts';
import { isAdmin } from '../lib/roles.ts';

/** The Audit Logs table with its filters, live tail and drawers; shared by the app and the embed. */
export function AuditLogsView({ embedded, eventId, openEvent, closeEvent, userKey }: {
  embedded: boolean;
  eventId: string | null;
  openEvent: (id: string) => void;
  /** Closes the drawer; with `search`, the list opens with those parameters instead of the current ones. */
  closeEvent: (search?: URLSearchParams) => void;
  /** Whose column choice to remember. */
  userKey: string;
}) {
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => readFilters(params), [params]);
  const live = params.get('live') === '1';
  const [otelOpen, setOtelOpen] = useState(false);
  const [exportOpen, setExportOpen] = useState(false);

  const listSearch = (next: Filters) => {
    const search = writeFilters(next);
    if (live) search.set('live', '1');
    return search;
  };
  const setFilters = (next: Filters) => {
    const search = listSearch(next);
    for (const keep of ['event']) if (params.get(keep)) search.set(keep, params.get(keep)!);
    setParams(search, { replace: false });
  };
  const setLive = (on: boolean) => {
    const search = new URLSearchParams(params);
    if (on) search.set('live', '1');
    else search.delete('live');
    setParams(search, { replace: true });
  };

  const columns = useColumns(userKey);
  const wide = useMediaQuery('(min-width: 75em)', true, { getInitialValueInEffect: false });
  const phone = useMediaQuery('(max-width: 48em)', false, { getInitialValueInEffect: false });
  const layout = phone ? 'cards' : wide ? 'table' : 'scroll';

  const query = apiQuery(filters).toString();
  const events = useEventPages(query);
  const entries = useMemo(() => events.data?.pages.flatMap((p) => p.events) ?? [], [events.data]);
  const count = events.data?.pages[0]?.count;

  // Live tail: new entries come by the stream. At the top of the page they go straight in; scrolled
  // down, they wait behind "N new entries" so the rows being read do not move.
  const queryClient = useQueryClient();
  const [waiting, setWaiting] = useState<Entry[]>([]);
  useEffect(() => setWaiting([]), [query, live]);
  const merge = (incoming: Entry[]) => {
    queryClient.setQueryData<InfiniteData<EventsPage, string | null>>(eventKeys.list(query), (old) => {
      if (!old?.pages[0]) return old;
      const known = new Set(old.pages.flatMap((p) => p.events.map((e) => e.id)));
      const added = incoming.filter((e) => !known.has(e.id));
      if (added.length === 0) return old;
      const [first, ...rest] = old.pages;
      const merged = [...added, ...first.events].sort((a, b) => b.occurred_at.localeCompare(a.occurred_at) || b.seq - a.seq);
      const counted = first.count && { ...first.count, value: first.count.value + added.length };
      return { ...old, pages: [{ ...first, events: merged, ...(counted ? { count: counted } : {}) }, ...rest] };
    });
    void queryClient.invalidateQueries({ queryKey: eventKeys.histogram(query) });
  };
  const showWaiting = () => {
    merge(waiting);
    setWaiting([]);
    window.scrollTo({ top: 0, behavior: 'smooth' });
  };
  const streamFrom = events.data ? (entries.length ? Math.max(...entries.map((e) => e.seq)) : null) : undefined;
  useEventStream(query, streamFrom, live, (batch) => {
    if (window.scrollY < 120 && waiting.length === 0) merge(batch);
    else setWaiting((prev) => [...prev, ...batch]);
  });

  // Rows that appeared while live tail is on are highlighted.
  const seen = useRef<Set<string> | null>(null);
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  useEffect(() => {
    if (!events.data) return;
    const ids = entries.map((e) => e.id);
    if (seen.current && live) {
      const added = ids.filter((id) => !seen.current!.has(id));
      if (added.length) setFresh((prev) => new Set([...prev, ...added]));
    }
    seen.current = new Set(ids);
  }, [entries, live, events.data]);
  useEffect(() => {
    seen.current = null;
    setFresh(new Set());
  }, [query]);

  // Infinite scroll: load the next page when the sentinel below the table comes into view.
  const sentinel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const node = sentinel.current;
    if (!node) return;
    const observer = new IntersectionObserver((items) => {
      if (items.some((i) => i.isIntersecting) && events.hasNextPage && !events.isFetchingNextPage) void events.fetchNextPage();
    });
    observer.observe(node);
    return () => observer.disconnect();
  }, [events]);

  // Previous and next in the drawer follow the loaded list; next loads the following page at its end.
  const index = eventId === null ? -1 : entries.findIndex((e) => e.id === eventId);
  const neighbour = (step: -1 | 1) => {
    if (index < 0) return undefined;
    const other = entries[index + step];
    if (other) return () => openEvent(other.id);
    if (step === 1 && events.hasNextPage) return () => void events.fetchNextPage();
    return undefined;
  };

  return (
    <Stack gap="md">
      <Group justify="space-between" align="flex-end">
        <Group gap="sm" align="baseline">
          <Title order={2}>Audit Logs</Title>
          {count && (
            <Badge variant="light" size="lg" aria-label="Matching events">
              {formatCount(count)}
            </Badge>
          )}
        </Group>
        <Group gap="sm">
          {layout !== 'cards' && <ColumnPicker visible={columns.visible} onChange={columns.setVisible} />}
          <Switch label="Live tail" checked={live} onChange={(e) => setLive(e.currentTarget.checked)} />
          {!embedded && (
            <Button variant="default" leftSection={<IconPlugConnected size={16} />} onClick={() => setOtelOpen(true)}>
              Configure OTEL Export
            </Button>
          )}
          <Button leftSection={<IconDownload size={16} />} onClick={() => setExportOpen(true)}>
            Export Log
          </Button>
        </Group>
      </Group>
      <Paper withBorder p="sm">
        <FiltersBar filters={filters} onChange={setFilters} />
      </Paper>
      {events.isError && (
        <RetryAlert title="Could not load the audit log" error={events.error} retrying={events.isFetching} onRetry={() => void events.refetch()} />
      )}
      <ActivityChart query={query} onNarrow={(from, to) => setFilters({ ...filters, range: 'custom', from, to })} />
      {waiting.length > 0 && (
        <Center pos="sticky" top={8} style={{ zIndex: 5 }}>
          <Button size="xs" radius="xl" onClick={showWaiting} aria-live="polite">
            {waiting.length === 1 ? '1 new entry' : `${waiting.length} new entries`}
          </Button>
        </Center>
      )}
      <Paper withBorder>
        <EventsTable entries={entries} loading={events.isPending || events.isFetchingNextPage} fresh={fresh} columns={columns.visible} layout={layout} onOpen={(e) => openEvent(e.id)} />
        {!events.isPending && !events.isError && entries.length === 0 && (
          <Center p="xl">
            <Stack align="center" gap="xs" role="status">
              <Text fw={600}>No events match these filters</Text>
              {describeFilters(filters).map((d) => (
                <Text key={d} size="sm" c="dimmed">
                  {d}
                </Text>
              ))}
              <Button variant="light" onClick={() => setFilters(EMPTY_FILTERS)}>
                Clear filters
              </Button>
            </Stack>
          </Center>
        )}
        <div ref={sentinel} style={{ height: 1 }} />
        {events.hasNextPage && (
          <Center p="sm">
            <Button variant="subtle" loading={events.isFetchingNextPage} onClick={() => events.fetchNextPage()}>
              Load more
            </Button>
          </Center>
        )}
        {!events.hasNextPage && entries.length > 0 && (
          <Text ta="center" size="xs" c="dimmed" p="sm">
            End of the log for these filters
          </Text>
        )}
      </Paper>
      <EventDrawer
        id={eventId}
        onClose={() => closeEvent()}
        onPrevious={neighbour(-1)}
        onNext={neighbour(1)}
        onFilter={(patch) => {
          closeEvent(listSearch({ ...filters, ...patch }));
        }}
      />
      {!embedded && <OtelDrawer opened={otelOpen} onClose={() => setOtelOpen(false)} />}
      <ExportDialog opened={exportOpen} onClose={() => setExportOpen(false)} filters={filters} />
    </Stack>
  );
}

/** /audit-logs and the deep link /audit-logs/events/:id. */
export function AuditLogsPage({ me }: { me: Me }) {
  const { id } = useParams();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  if (!isAdmin(me)) {
    return (
      <Alert color="gray" title="Audit Logs" maw={640}>
        Only organization admins can view audit logs.
      </Alert>
    );
  }
  const search = params.toString() ? `?${params}` : '';
  return (
    <AuditLogsView
      embedded={false}
      userKey={me.user.id}
      eventId={id ?? null}
      openEvent={(eventId) => navigate(`/audit-logs/events/${encodeURIComponent(eventId)}${search}`)}
      closeEvent={(next) => navigate(`/audit-logs${next ? `?${next}` : search}`)}
    />
  );
}

/** Which columns the table shows; remembered per user in this browser. */
function ColumnPicker({ visible, onChange }: { visible: ColumnKey[]; onChange: (keys: ColumnKey[]) => void }) {
  return (
    <Popover position="bottom-end" withArrow trapFocus>
      <Popover.Target>
        <Button variant="default" leftSection={<IconColumns size={16} />}>
          Columns
        </Button>
      </Popover.Target>
      <Popover.Dropdown>
        <Checkbox.Group label="Columns to show" value={visible} onChange={(keys) => onChange(keys as ColumnKey[])}>
          <Stack gap={6} mt="xs">
            {COLUMNS.map((c) => (
              <Checkbox key={c.key} value={c.key} label={c.label} disabled={'required' in c} />
            ))}
          </Stack>
        </Checkbox.Group>
      </Popover.Dropdown>
    </Popover>
  );
}

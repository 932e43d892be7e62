import { Alert, Anchor, Badge, Button, Group, Modal, MultiSelect, Progress, SegmentedControl, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { DateTimePicker } from '@mantine/dates';
import { useEffect, useState } from 'react';
import { downloadWithToken, errorMessage, isEmbedded } from '../lib/api.ts';
import { useEventTypes } from '../api/events.ts';
import { useExports, useQueueExport, type ExportJob } from '../api/exports.ts';
import { describeExport, describeFilters, RANGE_LABELS, type Filters, type RangeKey } from '../lib/filters.ts';
import { formatLocal } from '../lib/format.ts';

type ExportOrder = ExportJob['order'];

const STATUS_COLORS: Record<ExportJob['status'], string> = { queued: 'gray', running: 'blue', completed: 'teal', failed: 'red', cancelled: 'gray', expired: 'gray' };
const EXTENSIONS: Record<ExportJob['format'], string> = { csv: 'csv', xlsx: 'xlsx', jsonl: 'jsonl' };

const rowsLabel = (n: number) => `${n.toLocaleString()} ${n === 1 ? 'row' : 'rows'}`;
const formatSize = (bytes: number) => (bytes < 1024 ? `${bytes} B` : bytes < 1024 ** 2 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 ** 2).toFixed(1)} MB`);
const toDate = (iso: string) => (iso ? new Date(iso) : null);
const fromPicker = (value: string | Date | null) => (value ? new Date(value).toISOString() : '');

/** The page's filters other than time range and event types (which the dialog lets you change). */
function otherFilters(filters: Filters): string[] {
  return describeFilters({ ...filters, types: [] }).filter((d) => !d.startsWith('Time range'));
}

/** One recent export: status, progress while running, and a download link when completed. */
function ExportRow({ job }: { job: ExportJob }) {
  const [failure, setFailure] = useState<string | null>(null);
  const download = async () => {
    setFailure(null);
    try {
      await downloadWithToken(job.download_url!, `${job.name} (${job.order} order).${EXTENSIONS[job.format]}`);
    } catch (error) {
      setFailure(errorMessage(error));
    }
  };
  return (
    <Table.Tr>
      <Table.Td>
        <Text size="sm">{job.name}</Text>
        <Text size="xs" c="dimmed">{job.format.toUpperCase()} · {job.order} order · {formatLocal(job.created_at)}{job.size_bytes !== null && job.status === 'completed' ? ` · ${formatSize(job.size_bytes)}` : ''}</Text>
        {job.error && job.status !== 'completed' && <Text size="xs" c="red">{job.error}</Text>}
        {failure && <Text size="xs" c="red">{failure}</Text>}
      </Table.Td>
      <Table.Td w={170}>
        <Badge variant="light" color={STATUS_COLORS[job.status]}>{job.status}</Badge>
        {(job.status === 'running' || job.status === 'queued') && (
          <>
            <Progress value={Math.round(job.progress * 100)} size="sm" mt={4} aria-label={`${job.name} progress`} />
            <Text size="xs" c="dimmed">{rowsLabel(job.rows_written)}</Text>
          </>
        )}
        {job.status === 'completed' && <Text size="xs" c="dimmed">{rowsLabel(job.rows_written)}</Text>}
      </Table.Td>
      <Table.Td w={90}>
        {job.download_url &&
          (isEmbedded() ? (
            <Anchor component="button" type="button" size="sm" onClick={download}>Download</Anchor>
          ) : (
            <Anchor href={job.download_url} size="sm">Download</Anchor>
          ))}
      </Table.Td>
    </Table.Tr>
  );
}

/**
 * "Export Log": name (by default what it holds), time range, event types, format and row order,
 * plus the page's other filters; "Start export" starts a background export, and recent exports
 * are listed with their progress.
 */
export function ExportDialog({ opened, onClose, filters }: { opened: boolean; onClose: () => void; filters: Filters }) {
  /** Null while the name is the description of what is selected; the typed name once edited. */
  const [typedName, setTypedName] = useState<string | null>(null);
  const [format, setFormat] = useState<ExportJob['format']>('csv');
  const [order, setOrder] = useState<ExportOrder | null>(null);
  const [range, setRange] = useState<RangeKey>(filters.range);
  const [from, setFrom] = useState(filters.from);
  const [to, setTo] = useState(filters.to);
  const [types, setTypes] = useState<string[]>(filters.types);
  // Opening the dialog starts from the page's current filters.
  useEffect(() => {
    if (!opened) return;
    setRange(filters.range);
    setFrom(filters.from);
    setTo(filters.to);
    setTypes(filters.types);
    setTypedName(null);
  }, [opened, filters]);
  const selected: Filters = { ...filters, range, from, to, types };
  const name = typedName ?? describeExport(selected);
  const rowOrder = order ?? (format === 'jsonl' ? 'chain' : 'time');

  const eventTypes = useEventTypes(opened);
  const typeData = [...new Set([...(eventTypes.data ?? []).map((t) => t.type), ...types])].sort();
  const jobs = useExports(opened);
  const queue = useQueueExport();
  const others = otherFilters(filters);
  const customIncomplete = range === 'custom' && (!from || !to);

  return (
    <Modal opened={opened} onClose={onClose} title="Export Log" size="lg" closeButtonProps={{ 'aria-label': 'Close' }}>
      <Stack>
        <TextInput label="Export name" value={name} onChange={(e) => setTypedName(e.currentTarget.value)} required maxLength={200} />
        <Select
          label="Time range"
          data={Object.entries(RANGE_LABELS).map(([value, label]) => ({ value, label }))}
          value={range}
          allowDeselect={false}
          onChange={(v) => {
            const next = (v ?? '24h') as RangeKey;
            setRange(next);
            if (next === 'custom' && !from) {
              setFrom(new Date(Date.now() - 86_400_000).toISOString());
              setTo(new Date().toISOString());
            }
          }}
        />
        {range === 'custom' && (
          <Group grow>
            <DateTimePicker label="From" clearButtonProps={{ 'aria-label': 'Clear from' }} value={toDate(from)} onChange={(v) => setFrom(fromPicker(v))} withSeconds clearable />
            <DateTimePicker label="To" clearButtonProps={{ 'aria-label': 'Clear to' }} value={toDate(to)} onChange={(v) => setTo(fromPicker(v))} withSeconds clearable />
          </Group>
        )}
        <MultiSelect label="Event types" placeholder="All types" data={typeData} value={types} onChange={setTypes} searchable clearable maxDropdownHeight={240} />
        <Stack gap={2}>
          <Text size="sm" fw={500}>Filters from the page</Text>
          {others.length === 0 ? <Text size="sm" c="dimmed">None</Text> : others.map((d) => <Text key={d} size="sm" c="dimmed">{d}</Text>)}
        </Stack>
        <Stack gap={4}>
          <Text size="sm" fw={500}>Format</Text>
          <SegmentedControl value={format} onChange={(v) => setFormat(v as ExportJob['format'])} data={[{ value: 'csv', label: 'CSV' }, { value: 'xlsx', label: 'Excel' }, { value: 'jsonl', label: 'JSONL' }]} />
        </Stack>
        <Select
          label="Row order"
          description={rowOrder === 'time' ? 'As on this page. The file name says which order it is in.' : 'As the hash chain: `auditum verify --file` can check a complete JSONL export.'}
          data={[{ value: 'time', label: 'Time order, newest first' }, { value: 'chain', label: 'Chain order (for verification)' }]}
          value={rowOrder}
          allowDeselect={false}
          onChange={(v) => setOrder(v as ExportOrder)}
        />
        {queue.isError && <Alert color="red" role="alert">{errorMessage(queue.error)}</Alert>}
        {queue.isSuccess && <Alert color="teal">Export queued. It runs in the background; download it below when it is completed.</Alert>}
        <Group justify="flex-end">
          <Button
            onClick={() => queue.mutate({ name, format, order: rowOrder, filters: selected })}
            loading={queue.isPending}
            disabled={!name.trim() || customIncomplete}
          >
            Start export
          </Button>
        </Group>
        {jobs.isError && <Alert color="red">{errorMessage(jobs.error)}</Alert>}
        {jobs.data && jobs.data.length > 0 && (
          <Stack gap={4}>
            <Text size="sm" fw={500}>Recent exports</Text>
            <Table aria-label="Recent exports">
              <Table.Tbody>
                {jobs.data.slice(0, 8).map((job) => <ExportRow key={job.id} job={job} />)}
              </Table.Tbody>
            </Table>
          </Stack>
        )}
      </Stack>
    </Modal>
  );
}

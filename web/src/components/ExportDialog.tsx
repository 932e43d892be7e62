import { Alert, Anchor, Badge, Button, Group, Modal, SegmentedControl, Stack, Table, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, ApiError, errorMessage, isEmbedded } from '../lib/api.ts';
import { apiQuery, describeFilters, type Filters } from '../lib/filters.ts';
import { formatLocal } from '../lib/format.ts';

interface ExportJob {
  id: string;
  name: string;
  format: string;
  status: string;
  rows_written?: number;
  created_at?: string;
  error?: string | null;
}

/** "Export Log": name, format, and the page's current filters; queued as a background job. */
export function ExportDialog({ opened, onClose, filters }: { opened: boolean; onClose: () => void; filters: Filters }) {
  const queryClient = useQueryClient();
  const [name, setName] = useState(`Audit log ${new Date().toISOString().slice(0, 10)}`);
  const [format, setFormat] = useState('csv');
  const jobs = useQuery({
    queryKey: ['exports'],
    enabled: opened,
    refetchInterval: opened ? 2000 : false,
    queryFn: async () => {
      try {
        return (await api<{ exports: ExportJob[] }>('GET', '/v1/exports')).exports;
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) return null;
        throw error;
      }
    },
  });
  const queue = useMutation({
    mutationFn: () => {
      const body: Record<string, unknown> = { name, format };
      for (const [key, value] of apiQuery(filters)) {
        if (key === 'type' || key === 'result') body[key] = [...((body[key] as string[]) ?? []), value];
        else body[key] = value;
      }
      return api('POST', '/v1/exports', body);
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['exports'] }),
  });
  return (
    <Modal opened={opened} onClose={onClose} title="Export Log" size="lg">
      <Stack>
        <TextInput label="Export name" value={name} onChange={(e) => setName(e.currentTarget.value)} required />
        <Stack gap={4}>
          <Text size="sm" fw={500}>Format</Text>
          <SegmentedControl value={format} onChange={setFormat} data={[{ value: 'csv', label: 'CSV' }, { value: 'xlsx', label: 'Excel' }, { value: 'jsonl', label: 'JSONL' }]} />
        </Stack>
        <Stack gap={2}>
          <Text size="sm" fw={500}>Includes the page's current filters</Text>
          {describeFilters(filters).map((d) => (
            <Text key={d} size="sm" c="dimmed">{d}</Text>
          ))}
        </Stack>
        {queue.isError && <Alert color="red" role="alert">{errorMessage(queue.error)}</Alert>}
        {queue.isSuccess && <Alert color="teal">Export queued. It appears below when it is ready.</Alert>}
        <Group justify="flex-end">
          <Button onClick={() => queue.mutate()} loading={queue.isPending}>Queue Export</Button>
        </Group>
        {jobs.data && jobs.data.length > 0 && (
          <Table aria-label="Recent exports">
            <Table.Tbody>
              {jobs.data.slice(0, 8).map((job) => (
                <Table.Tr key={job.id}>
                  <Table.Td><Text size="sm">{job.name}</Text><Text size="xs" c="dimmed">{job.format.toUpperCase()}{job.created_at ? ` · ${formatLocal(job.created_at)}` : ''}</Text></Table.Td>
                  <Table.Td><Badge variant="light" color={job.status === 'completed' ? 'teal' : job.status === 'failed' ? 'red' : 'gray'}>{job.status}</Badge></Table.Td>
                  <Table.Td>{job.status === 'completed' && !isEmbedded() && <Anchor href={`/v1/exports/${job.id}/download`}>Download</Anchor>}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Stack>
    </Modal>
  );
}

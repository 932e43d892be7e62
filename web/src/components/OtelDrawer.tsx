import { ActionIcon, Alert, Button, Drawer, Group, NumberInput, SegmentedControl, Stack, Switch, Text, TextInput, Title } from '@mantine/core';
import { IconPlus, IconTrash } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { useFormErrors } from '../lib/form-errors.ts';
import { formatLocalFull, plainDeliveryError } from '../lib/format.ts';
import { useOtelExport, useSaveOtelExport, useTestOtelExport, type OtelProtocol } from '../api/otel.ts';

const OTEL_FIELDS = ['endpoint_url', 'headers', 'max_batch_size', 'protocol'] as const;
type OtelField = (typeof OTEL_FIELDS)[number];
const OTEL_WORDS: Partial<Record<OtelField, string>> = {
  max_batch_size: 'The batch size is a whole number from 1 to 1000.',
};

/** "Configure OTEL Export": destination, headers (write-only), batch size, protocol, status and a test record. */
export function OtelDrawer({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const current = useOtelExport(opened);
  const [url, setUrl] = useState('');
  const [headers, setHeaders] = useState<Array<{ name: string; value: string }>>([]);
  const [batch, setBatch] = useState<number | string>(100);
  const [protocol, setProtocol] = useState<OtelProtocol>('http/protobuf');
  const [enabled, setEnabled] = useState(true);
  useEffect(() => {
    if (!current.data) return;
    setUrl(current.data.endpoint_url);
    setHeaders(Object.entries(current.data.headers).map(([name, value]) => ({ name, value })));
    setBatch(current.data.max_batch_size);
    setProtocol(current.data.protocol);
    setEnabled(current.data.enabled);
  }, [current.data]);

  const errors = useFormErrors(OTEL_FIELDS, OTEL_WORDS);
  const headerMap = () => Object.fromEntries(headers.filter((h) => h.name).map((h) => [h.name, h.value]));
  const target = () => ({ endpoint_url: url, headers: headerMap(), protocol });
  const settings = () => ({ ...target(), max_batch_size: Number(batch), enabled });
  const formEvents = { onMutate: () => errors.reset(), onError: (error: Error) => errors.show(error) };
  const save = useSaveOtelExport(formEvents);
  // The test sends the form's values, saved or not (masked header values stand for the stored ones).
  const test = useTestOtelExport(formEvents);
  /** A change to a field clears what was said about it, and the outcome of the last save or test. */
  const changed = (name: OtelField) => {
    errors.clear(name);
    save.reset();
    test.reset();
  };
  const status = current.data?.status;

  return (
    <Drawer opened={opened} onClose={onClose} position="right" size="lg" title={<Title order={3}>OTEL export</Title>} closeButtonProps={{ 'aria-label': 'Close OTEL export' }}>
      <Stack>
        {status?.last_error && status.state === 'failing' && (
          <Alert color="red" title="Export is failing" role="alert">
            {formatLocalFull(status.last_error.at)}: {status.last_error.http_status ? `HTTP ${status.last_error.http_status}` : 'network error'} · {plainDeliveryError(status.last_error.message)}
          </Alert>
        )}
        {status && status.state !== 'failing' && (
          <Alert color={status.state === 'disabled' ? 'gray' : 'teal'} title={status.state === 'disabled' ? 'Export is off' : 'Export is running'}>
            {status.last_success_at ? `Last delivery ${formatLocalFull(status.last_success_at)}. ` : 'Nothing delivered yet. '}
            {status.pending.toLocaleString()} {status.pending === 1 ? 'entry' : 'entries'} waiting.
          </Alert>
        )}
        <Text size="sm" c="dimmed">
          Every new audit entry is sent to your OpenTelemetry backend as an OTLP log record.
        </Text>
        <TextInput label="Endpoint URL" placeholder="https://collector.example.com:4318/v1/logs" value={url} onChange={(e) => (changed('endpoint_url'), setUrl(e.currentTarget.value))} required error={errors.fields.endpoint_url} />
        <Stack gap={6}>
          <Text size="sm" fw={500}>Headers</Text>
          {headers.map((h, i) => (
            <Group key={i} gap="xs" wrap="nowrap">
              <TextInput aria-label={`Header ${i + 1} name`} placeholder="Authorization" value={h.name} onChange={(e) => (changed('headers'), setHeaders(headers.map((x, j) => (j === i ? { ...x, name: e.currentTarget.value } : x))))} style={{ flex: 1 }} />
              <TextInput aria-label={`Header ${i + 1} value`} placeholder="value (write-only)" value={h.value} onChange={(e) => (changed('headers'), setHeaders(headers.map((x, j) => (j === i ? { ...x, value: e.currentTarget.value } : x))))} style={{ flex: 1 }} />
              <ActionIcon variant="subtle" color="red" aria-label={`Remove header ${i + 1}`} onClick={() => setHeaders(headers.filter((_, j) => j !== i))}>
                <IconTrash size={16} />
              </ActionIcon>
            </Group>
          ))}
          {errors.fields.headers && <Text size="sm" c="red" role="alert">{errors.fields.headers}</Text>}
          <Button variant="subtle" size="xs" leftSection={<IconPlus size={14} />} onClick={() => setHeaders([...headers, { name: '', value: '' }])} w="fit-content">
            Add header
          </Button>
        </Stack>
        <NumberInput label="Max batch size" min={1} max={1000} value={batch} onChange={(v) => (changed('max_batch_size'), setBatch(v))} error={errors.fields.max_batch_size} />
        <Stack gap={4}>
          <Text size="sm" fw={500}>Protocol</Text>
          <SegmentedControl value={protocol} onChange={(v) => setProtocol(v as typeof protocol)} data={[{ value: 'http/protobuf', label: 'HTTP/protobuf' }, { value: 'http/json', label: 'HTTP/JSON' }]} />
        </Stack>
        <Switch label="Enabled" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
        {errors.general && <Alert color="red" role="alert">{errors.general}</Alert>}
        {save.isSuccess && <Alert color="teal">Saved.</Alert>}
        {test.data && <Alert color={test.data.ok ? 'teal' : 'red'}>{test.data.ok ? 'Test record delivered.' : `Test failed: ${test.data.http_status ? `HTTP ${test.data.http_status} ` : ''}${plainDeliveryError(test.data.message)}`}</Alert>}
        <Group justify="space-between">
          <Button
            variant="default"
            onClick={() => test.mutate(target())}
            loading={test.isPending}
            disabled={!url.trim()}
          >
            Send test record
          </Button>
          <Button onClick={() => save.mutate(settings())} loading={save.isPending}>
            Save
          </Button>
        </Group>
      </Stack>
    </Drawer>
  );
}

import { Alert, Badge, Button, Group, NumberInput, Paper, Stack, Switch, Text, Title, Tooltip } from '@mantine/core';
import { IconShieldCheck, IconShieldX } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import { errorMessage } from '../lib/api.ts';
import { formatLocalFull } from '../lib/format.ts';
import type { Me } from '../lib/types.ts';
import { isOwner } from '../lib/roles.ts';
import { useRetention, useSaveRetention } from '../api/retention.ts';
import { useLatestCheckpoint, useSignCheckpoint, useVerifyChain } from '../api/integrity.ts';

/** Settings › Retention & integrity: how long entries are kept (owners change it), and proof that nothing was altered. */
export function RetentionPage({ me }: { me: Me }) {
  const owner = isOwner(me);
  const retention = useRetention();
  const checkpoints = useLatestCheckpoint();
  const [days, setDays] = useState<number | ''>('');
  const [forever, setForever] = useState(false);
  const [hold, setHold] = useState(false);
  useEffect(() => {
    if (!retention.data) return;
    setForever(retention.data.retention_days === null);
    setDays(retention.data.retention_days ?? 365);
    setHold(retention.data.legal_hold);
  }, [retention.data]);
  const save = useSaveRetention();
  const saveSettings = () => save.mutate({ retention_days: forever ? null : Number(days), legal_hold: hold });
  const verify = useVerifyChain();
  const sign = useSignCheckpoint();

  return (
    <Stack maw={760}>
      <Title order={2}>Retention & integrity</Title>
      <Paper withBorder p="md">
        <form onSubmit={(e) => (e.preventDefault(), saveSettings())}>
          <Stack>
            <Title order={4}>Retention</Title>
            {!owner && <Text size="sm" c="dimmed">Only organization owners can change retention and legal hold.</Text>}
            {retention.isError && <Alert color="red" role="alert">{errorMessage(retention.error)}</Alert>}
            <Switch label="Keep entries forever" checked={forever} disabled={!owner} onChange={(e) => setForever(e.currentTarget.checked)} />
            <NumberInput
              label="Retention period (days)"
              description="Entries older than this are removed by a daily job. The chain still verifies: Auditum keeps the hash of the last removed entry (the retention anchor) as the new starting point."
              min={1}
              max={36500}
              value={forever ? '' : days}
              disabled={!owner || forever}
              onChange={(v) => setDays(typeof v === 'number' ? v : '')}
              w={260}
            />
            <Switch label="Legal hold" description="While on hold nothing is purged, whatever the period." checked={hold} disabled={!owner} onChange={(e) => setHold(e.currentTarget.checked)} />
            {retention.data && (
              <Text size="sm" c="dimmed">
                {retention.data.purged_through_seq > 0
                  ? `Purged through entry #${retention.data.purged_through_seq}${retention.data.last_purge_at ? `, last on ${formatLocalFull(retention.data.last_purge_at)}` : ''}.`
                  : 'Nothing has been purged yet.'}
              </Text>
            )}
            {save.isError && <Alert color="red" role="alert">{errorMessage(save.error)}</Alert>}
            {save.isSuccess && <Text size="sm" c="teal" role="status">Saved. The change is recorded in the audit log.</Text>}
            {owner && (
              <Button type="submit" loading={save.isPending} w="fit-content" disabled={!forever && days === ''}>
                Save retention
              </Button>
            )}
          </Stack>
        </form>
      </Paper>
      <Paper withBorder p="md">
        <Stack>
          <Title order={4}>Integrity</Title>
          <Text size="sm" c="dimmed">
            Every entry is chained to the previous one by its SHA-256 hash, and signed checkpoints of the Merkle tree let anyone prove that nothing was changed, removed or inserted.
          </Text>
          {checkpoints.data?.latest ? (
            <Text size="sm">
              Latest signed checkpoint: {checkpoints.data.latest.tree_size.toLocaleString()} entries, signed {formatLocalFull(checkpoints.data.latest.created_at)}{' '}
              <Tooltip label="The id of the signing key: the README shows how to fetch its public key and check a checkpoint yourself." withArrow multiline w={280}>
                <Text span c="dimmed">
                  (signing key <Text span ff="monospace">{checkpoints.data.latest.key_id}</Text>)
                </Text>
              </Tooltip>
              .
            </Text>
          ) : (
            <Text size="sm">No signed checkpoint yet.</Text>
          )}
          <Group>
            <Button variant="default" onClick={() => verify.mutate()} loading={verify.isPending}>
              Verify chain
            </Button>
            <Button variant="default" onClick={() => sign.mutate()} loading={sign.isPending}>
              Sign checkpoint now
            </Button>
          </Group>
          {(verify.isError || sign.isError) && <Alert color="red" role="alert">{errorMessage(verify.error ?? sign.error)}</Alert>}
          {verify.data && (
            <Alert color={verify.data.ok ? 'teal' : 'red'} icon={verify.data.ok ? <IconShieldCheck /> : <IconShieldX />} title={verify.data.ok ? 'Chain verified' : 'Chain broken'} role="status">
              <Group gap="xs">
                <Badge variant="light">{verify.data.checked.toLocaleString()} entries checked</Badge>
                {!verify.data.ok && (
                  <Text size="sm">
                    First bad entry: #{verify.data.first_bad_seq} ({verify.data.reason})
                  </Text>
                )}
              </Group>
            </Alert>
          )}
        </Stack>
      </Paper>
    </Stack>
  );
}

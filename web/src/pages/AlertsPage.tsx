import { Alert, Anchor, Badge, Button, Group, Stack, Table, Tabs, Text, Title, Tooltip } from '@mantine/core';
import { Link, useSearchParams } from 'react-router-dom';
import { errorMessage } from '../lib/api.ts';
import { groupText, SEVERITY_COLORS, type AlertItem } from '../lib/alerts.ts';
import { formatLocal, formatLocalSpan, formatUtc } from '../lib/format.ts';
import type { Me } from '../lib/types.ts';
import { useAcknowledgeAlert, useAlerts, type AlertStatus } from '../api/alerts.ts';

function webhookBadge(webhook: AlertItem['webhook']) {
  if (!webhook) return <Text size="sm" c="dimmed">—</Text>;
  const color = webhook.state === 'completed' ? 'teal' : webhook.state === 'failed' ? 'red' : 'yellow';
  const label = webhook.state === 'completed' ? 'delivered' : webhook.state === 'queued' && webhook.attempts > 0 ? 'retrying' : webhook.state;
  return (
    <Tooltip label={webhook.last_error ?? `${webhook.attempts} attempt(s)`} disabled={!webhook.last_error && webhook.attempts === 0}>
      <Badge color={color} variant="light">{label}</Badge>
    </Tooltip>
  );
}

/** Who or what the alert is about, by name, with the other groups the same incident was seen in. */
function AlertGroupCell({ alert }: { alert: AlertItem }) {
  if (!alert.group) return <Text size="sm" c="dimmed">whole organization</Text>;
  const { group, related } = alert;
  return (
    <Stack gap={2}>
      <Tooltip label={`${group.by}: ${group.value}`} withArrow>
        <Text size="sm" fw={500}>{groupText(group)}</Text>
      </Tooltip>
      {related.length > 0 && <Text size="xs" c="dimmed">also {related.map(groupText).join(', ')}</Text>}
    </Stack>
  );
}

/** Fired alerts, open or acknowledged, each linking to its matching entries in the Audit Logs. */
export function AlertsPage(_props: { me: Me }) {
  const [params, setParams] = useSearchParams();
  const status: AlertStatus = params.get('status') === 'acknowledged' ? 'acknowledged' : 'open';
  const alerts = useAlerts(status);
  const acknowledge = useAcknowledgeAlert();
  const openCount = alerts.data?.open_count;

  return (
    <Stack maw={1200}>
      <Group justify="space-between">
        <Title order={2}>Alerts</Title>
        <Anchor component={Link} to="/settings/alerts" size="sm">Alert rules and webhook</Anchor>
      </Group>
      {(alerts.error || acknowledge.error) && <Alert color="red" role="alert">{errorMessage(alerts.error ?? acknowledge.error)}</Alert>}
      <Tabs value={status} onChange={(v) => setParams(v === 'acknowledged' ? { status: 'acknowledged' } : {})}>
        <Tabs.List>
          <Tabs.Tab value="open" rightSection={openCount ? <Badge size="sm" color="red" circle={openCount < 10}>{openCount}</Badge> : null}>Open</Tabs.Tab>
          <Tabs.Tab value="acknowledged">Acknowledged</Tabs.Tab>
        </Tabs.List>
        {/* Both panels exist, so each tab's aria-controls names one; the list shows in the active one. */}
        <Tabs.Panel value={status === 'open' ? 'acknowledged' : 'open'}>{null}</Tabs.Panel>
        <Tabs.Panel value={status} pt="sm">
      {alerts.data && alerts.data.alerts.length === 0 && (
        <Text c="dimmed" py="xl" ta="center">{status === 'open' ? 'No open alerts.' : 'No acknowledged alerts yet.'}</Text>
      )}
      {alerts.data && alerts.data.alerts.length > 0 && (
        <Table.ScrollContainer minWidth={900}>
          <Table aria-label={`${status} alerts`} verticalSpacing="sm">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Triggered</Table.Th>
                <Table.Th>Severity</Table.Th>
                <Table.Th>Rule</Table.Th>
                <Table.Th>About</Table.Th>
                <Table.Th>Entries</Table.Th>
                <Table.Th>Window (occurred)</Table.Th>
                <Table.Th>Webhook</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {alerts.data.alerts.map((a) => (
                <Table.Tr key={a.id}>
                  <Table.Td><Tooltip label={formatUtc(a.created_at)}><Text size="sm">{formatLocal(a.created_at)}</Text></Tooltip></Table.Td>
                  <Table.Td><Badge color={SEVERITY_COLORS[a.severity]} variant="light" style={{ minWidth: 'max-content' }}>{a.severity}</Badge></Table.Td>
                  <Table.Td><Text size="sm" fw={500}>{a.rule.name}</Text></Table.Td>
                  <Table.Td><AlertGroupCell alert={a} /></Table.Td>
                  <Table.Td>
                    <Text size="sm">{a.count}{a.suppressed > 0 ? ` (+${a.suppressed} during cooldown)` : ''}</Text>
                  </Table.Td>
                  <Table.Td>
                    <Text size="sm">{formatLocalSpan(a.window.start, a.window.end)}</Text>
                  </Table.Td>
                  <Table.Td>{webhookBadge(a.webhook)}</Table.Td>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap" justify="flex-end">
                      <Button component={Link} to={a.link} size="xs" variant="light">View entries</Button>
                      {a.status === 'open' ? (
                        <Button size="xs" onClick={() => acknowledge.mutate(a.id)} loading={acknowledge.isPending && acknowledge.variables === a.id}>Acknowledge</Button>
                      ) : (
                        <Text size="xs" c="dimmed">by {a.acknowledged_by}</Text>
                      )}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
        </Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

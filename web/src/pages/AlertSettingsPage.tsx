import { Alert, Badge, Button, Group, Paper, Stack, Switch, Table, Text, TextInput, Title, Tooltip } from '@mantine/core';
import { useEffect, useState } from 'react';
import { AlertRuleForm } from '../components/AlertRuleForm.tsx';
import { useConfirm } from '../components/ConfirmDialog.tsx';
import { SecretOnce } from '../components/SecretOnce.tsx';
import { errorMessage } from '../lib/api.ts';
import { describeCondition, SEVERITY_COLORS, type AlertRule } from '../lib/alerts.ts';
import { formatLocal } from '../lib/format.ts';
import type { Me } from '../lib/types.ts';
import {
  useAlertRules,
  useAlertWebhook,
  useDeleteRule,
  useSaveRule,
  useSaveWebhook,
  useToggleRule,
} from '../api/alerts.ts';

const DELIVERY_COLORS: Record<string, string> = { completed: 'teal', failed: 'red' };

function filterSummary(rule: AlertRule): string {
  const parts: string[] = [];
  if (rule.filter.type?.length) parts.push(rule.filter.type.join(', '));
  if (rule.filter.result?.length) parts.push(`result ${rule.filter.result.join('/')}`);
  if (rule.filter.actor) parts.push(`actor ${rule.filter.actor}`);
  if (rule.filter.metadata) parts.push(`metadata ${JSON.stringify(rule.filter.metadata)}`);
  if (rule.filter.q) parts.push(`"${rule.filter.q}"`);
  return parts.join(' · ') || 'every entry';
}

function RulesPanel() {
  const rules = useAlertRules();
  const [editing, setEditing] = useState<AlertRule | 'new' | null>(null);
  const toggle = useToggleRule();
  const remove = useDeleteRule();
  const save = useSaveRule({ onSuccess: () => setEditing(null) });
  const { confirm, dialog } = useConfirm();
  const deleteRule = async (rule: AlertRule) => {
    const message = `Delete the rule "${rule.name}"?`;
    if (await confirm({ title: 'Delete rule', message, action: 'Delete' })) remove.mutate(rule.id);
  };

  return (
    <Stack>
      <Group justify="space-between">
        <Title order={3}>Rules</Title>
        <Button onClick={() => (save.reset(), setEditing('new'))}>New rule</Button>
      </Group>
      {dialog}
      {(rules.error || toggle.error || remove.error) && (
        <Alert color="red" role="alert">{errorMessage(rules.error ?? toggle.error ?? remove.error)}</Alert>
      )}
      <Table.ScrollContainer minWidth={800}>
        <Table aria-label="Alert rules">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Enabled</Table.Th>
              <Table.Th>Name</Table.Th>
              <Table.Th>Filter</Table.Th>
              <Table.Th>Condition</Table.Th>
              <Table.Th>Severity</Table.Th>
              <Table.Th>Cooldown</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {rules.data?.rules.map((r) => (
              <Table.Tr key={r.id}>
                <Table.Td>
                  <Switch
                    checked={r.enabled}
                    onChange={() => toggle.mutate(r)}
                    aria-label={`${r.enabled ? 'Disable' : 'Enable'} ${r.name}`}
                  />
                </Table.Td>
                <Table.Td><Group gap={6}><Text size="sm" fw={500}>{r.name}</Text>{r.builtin && (
                  <Tooltip withArrow label="One of the rules every organization starts with; you can change or turn it off.">
                    <Badge size="xs" variant="light" color="gray" tt="none">default rule</Badge>
                  </Tooltip>
                )}</Group></Table.Td>
                <Table.Td><Text size="sm">{filterSummary(r)}</Text></Table.Td>
                <Table.Td><Text size="sm">{describeCondition(r.condition)}</Text></Table.Td>
                <Table.Td>
                  <Badge color={SEVERITY_COLORS[r.severity]} variant="light" style={{ minWidth: 'max-content' }}>
                    {r.severity}
                  </Badge>
                </Table.Td>
                <Table.Td><Text size="sm">{r.cooldown_minutes} min</Text></Table.Td>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap" justify="flex-end">
                    <Button size="xs" variant="light" onClick={() => (save.reset(), setEditing(r))}>Edit</Button>
                    <Button size="xs" variant="light" color="red" onClick={() => void deleteRule(r)}>Delete</Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {editing && (
        <AlertRuleForm
          key={editing === 'new' ? 'new' : editing.id}
          rule={editing === 'new' ? null : editing}
          opened
          onClose={() => setEditing(null)}
          onSave={(draft) => save.mutate({ id: editing === 'new' ? null : editing.id, draft })}
          saving={save.isPending}
          error={save.error}
        />
      )}
    </Stack>
  );
}

function WebhookPanel() {
  const webhook = useAlertWebhook();
  const [url, setUrl] = useState('');
  const [enabled, setEnabled] = useState(true);
  const [secret, setSecret] = useState<string | null>(null);
  useEffect(() => {
    if (webhook.data) {
      setUrl(webhook.data.url);
      setEnabled(webhook.data.enabled);
    }
  }, [webhook.data?.url, webhook.data?.enabled]);
  const save = useSaveWebhook({
    onSuccess: (res) => {
      if (res.secret) setSecret(res.secret);
    },
  });
  const saving = (rotate: boolean) => save.isPending && save.variables?.rotate_secret === rotate;
  const { confirm, dialog } = useConfirm();
  const rotateSecret = async () => {
    const message = 'Generate a new signing secret? The old one stops working at once.';
    if (await confirm({ title: 'Rotate signing secret', message, action: 'Rotate secret' })) {
      save.mutate({ url, enabled, rotate_secret: true });
    }
  };

  return (
    <Stack>
      <Title order={3}>Webhook</Title>
      <Text size="sm" c="dimmed">
        Each alert is POSTed as JSON, signed in the Auditum-Signature header (HMAC-SHA256 of timestamp and body with the
        signing secret), and retried with backoff until the receiver answers 2xx.
      </Text>
      {(webhook.error || save.error) && (
        <Alert color="red" role="alert">{errorMessage(webhook.error ?? save.error)}</Alert>
      )}
      {dialog}
      <Paper withBorder p="md">
        <form onSubmit={(e) => (e.preventDefault(), save.mutate({ url, enabled, rotate_secret: false }))}>
          <Stack>
            <TextInput
              label="URL"
              placeholder="https://hooks.example.com/auditum"
              required
              value={url}
              onChange={(e) => setUrl(e.currentTarget.value)}
            />
            <Switch
              label="Send alerts to this URL"
              checked={enabled}
              onChange={(e) => setEnabled(e.currentTarget.checked)}
            />
            <Group>
              <Button type="submit" loading={saving(false)}>Save webhook</Button>
              {webhook.data && (
                <Button
                  variant="light"
                  color="orange"
                  loading={saving(true)}
                  onClick={() => void rotateSecret()}
                >
                  Rotate secret
                </Button>
              )}
            </Group>
          </Stack>
        </form>
        {secret && <SecretOnce label="Signing secret" value={secret} onDismiss={() => setSecret(null)} />}
      </Paper>
      {webhook.data && webhook.data.deliveries.length > 0 && (
        <Table aria-label="Webhook deliveries">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Alert</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Attempts</Table.Th>
              <Table.Th>Last error</Table.Th>
              <Table.Th>Updated</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {webhook.data.deliveries.map((d) => (
              <Table.Tr key={d.alert_id}>
                <Table.Td><Text size="sm">{d.rule_name}</Text></Table.Td>
                <Table.Td>
                  <Badge variant="light" color={DELIVERY_COLORS[d.state] ?? 'yellow'}>
                    {d.state === 'completed' ? 'delivered' : d.state}
                  </Badge>
                </Table.Td>
                <Table.Td><Text size="sm">{d.attempts}</Text></Table.Td>
                <Table.Td><Text size="sm" c={d.last_error ? 'red' : 'dimmed'}>{d.last_error ?? '—'}</Text></Table.Td>
                <Table.Td><Text size="sm">{formatLocal(d.updated_at)}</Text></Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </Stack>
  );
}

/** Alerts settings: the organization's rules (built-in defaults included) and its webhook. */
export function AlertSettingsPage(_props: { me: Me }) {
  return (
    <Stack maw={1200} gap="xl">
      <Title order={2}>Alert settings</Title>
      <RulesPanel />
      <WebhookPanel />
    </Stack>
  );
}

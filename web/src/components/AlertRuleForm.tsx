import { Alert, Button, Checkbox, Group, Modal, MultiSelect, NumberInput, SegmentedControl, Stack, TagsInput, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { errorMessage } from '../lib/api.ts';
import {
  SEVERITIES,
  type AlertRule,
  type Condition,
  type GroupBy,
  type RuleDraft,
  type RuleFilter,
  type Severity,
} from '../lib/alerts.ts';
import { RESULT_LABELS } from '../lib/format.ts';

const EMPTY: RuleDraft = { name: '', filter: {}, condition: { type: 'threshold', count: 5, window_minutes: 10, group_by: ['actor'] }, cooldown_minutes: 15, enabled: true, severity: 'medium' };

/**
 * Creates or edits a rule: the common filters (types, results, actor, text) and the condition.
 * Filter fields the form does not show (categories, metadata, ...) are kept as they are.
 */
export function AlertRuleForm({ rule, opened, onClose, onSave, saving, error }: { rule: AlertRule | null; opened: boolean; onClose: () => void; onSave: (draft: RuleDraft) => void; saving: boolean; error: unknown }) {
  const [draft, setDraft] = useState<RuleDraft>(() => (rule ? { name: rule.name, filter: rule.filter, condition: rule.condition, cooldown_minutes: rule.cooldown_minutes, enabled: rule.enabled, severity: rule.severity } : EMPTY));
  const setFilter = (patch: Partial<RuleFilter>) => setDraft((d) => ({ ...d, filter: clean({ ...d.filter, ...patch }) }));
  const c = draft.condition;
  const setCondition = (patch: Partial<{ type: Condition['type']; count: number; window_minutes: number; group_by: GroupBy[] }>) =>
    setDraft((d) => {
      const merged = { count: 5, window_minutes: 10, ...d.condition, ...patch };
      const condition: Condition = merged.type === 'any' ? { type: 'any', group_by: merged.group_by } : { type: 'threshold', count: merged.count, window_minutes: merged.window_minutes, group_by: merged.group_by };
      return { ...d, condition };
    });

  return (
    <Modal opened={opened} onClose={onClose} title={rule ? `Edit rule: ${rule.name}` : 'New alert rule'} size="lg" closeButtonProps={{ 'aria-label': 'Close' }}>
      <form onSubmit={(e) => (e.preventDefault(), onSave(draft))}>
        <Stack>
          {Boolean(error) && <Alert color="red" role="alert">{errorMessage(error)}</Alert>}
          <TextInput label="Name" required value={draft.name} onChange={(e) => setDraft({ ...draft, name: e.currentTarget.value })} />
          <TagsInput label="Event types" description='Exact types or prefixes such as "sso.*"; empty: any type' value={draft.filter.type ?? []} onChange={(v) => setFilter({ type: v })} />
          <MultiSelect label="Results" placeholder="Any result" data={Object.entries(RESULT_LABELS).map(([value, label]) => ({ value, label }))} value={draft.filter.result ?? []} onChange={(v) => setFilter({ result: v })} clearable />
          <Group grow>
            <TextInput label="Actor" description="id or email, exact" value={draft.filter.actor ?? ''} onChange={(e) => setFilter({ actor: e.currentTarget.value })} />
            <TextInput label="Text" description="every word must appear" value={draft.filter.q ?? ''} onChange={(e) => setFilter({ q: e.currentTarget.value })} />
          </Group>
          <SegmentedControl
            value={c.type}
            onChange={(v) => setCondition({ type: v as Condition['type'] })}
            data={[
              { value: 'any', label: 'Any matching entry' },
              { value: 'threshold', label: 'At least N within W minutes' },
            ]}
          />
          {c.type === 'threshold' && (
            <Group grow>
              <NumberInput label="At least (N)" min={1} max={10000} value={c.count} onChange={(v) => setCondition({ count: Number(v) || 1 })} />
              <NumberInput label="Within (minutes)" min={1} max={10080} value={c.window_minutes} onChange={(v) => setCondition({ window_minutes: Number(v) || 1 })} />
            </Group>
          )}
          <Checkbox.Group label="Group by" description="each checked dimension counts on its own; none: all matches together" value={c.group_by} onChange={(v) => setCondition({ group_by: v as GroupBy[] })}>
            <Group mt={4}>
              <Checkbox value="actor" label="Actor" />
              <Checkbox value="ip" label="IP address" />
              <Checkbox value="target" label="Target" />
            </Group>
          </Checkbox.Group>
          <NumberInput label="Cooldown (minutes)" description="further matches of the same group are counted on the last alert meanwhile" min={0} max={10080} value={draft.cooldown_minutes} onChange={(v) => setDraft({ ...draft, cooldown_minutes: Number(v) || 0 })} />
          <Stack gap={4}>
            <Text size="sm" fw={500} id="rule-severity">Severity</Text>
            <SegmentedControl aria-labelledby="rule-severity" data={SEVERITIES} value={draft.severity} onChange={(v) => setDraft({ ...draft, severity: v as Severity })} />
          </Stack>
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>Cancel</Button>
            <Button type="submit" loading={saving}>{rule ? 'Save rule' : 'Create rule'}</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** Drops empty values, which the API would reject or treat as filters. */
function clean(filter: RuleFilter): RuleFilter {
  const out: RuleFilter = {};
  for (const [key, value] of Object.entries(filter)) {
    if (value === '' || value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    out[key] = value;
  }
  return out;
}

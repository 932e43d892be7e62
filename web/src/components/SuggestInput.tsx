import { Autocomplete, Group, Text } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useEffect, useRef, useState } from 'react';
import { useSuggestions, type SuggestionField } from '../api/events.ts';

/** How long typing pauses before a text filter applies; the same for every text filter. */
export const FILTER_DEBOUNCE_MS = 350;

/**
 * A text filter that applies as you type (debounced) and suggests recorded values with their
 * names. A name typed in full stands for its value: "Mobile app" filters by that project's id.
 */
export function SuggestInput({ label, placeholder, field, value, onApply }: {
  label: string;
  placeholder: string;
  field: SuggestionField;
  value: string;
  onApply: (value: string) => void;
}) {
  const [text, setText] = useState(value);
  const applied = useRef(value);
  // A value from outside (the URL, "Clear filters", the drawer) replaces the text; our own does not.
  useEffect(() => {
    if (value !== applied.current) setText(value);
    applied.current = value;
  }, [value]);
  const [typed] = useDebouncedValue(text, FILTER_DEBOUNCE_MS);
  const suggestions = useSuggestions(field, typed.trim());
  const items = suggestions.data ?? [];
  const settled = !suggestions.isPlaceholderData && !suggestions.isFetching;
  /** Applies `raw` (a name typed in full stands for its value), unless it is what is in force. */
  const apply = (raw: string) => {
    const trimmed = raw.trim();
    const named = items.filter((s) => s.label.toLowerCase() === trimmed.toLowerCase() && s.value !== trimmed);
    const next = named.length === 1 ? named[0]!.value : trimmed;
    if (next === applied.current) return;
    applied.current = next;
    onApply(next);
  };
  useEffect(() => {
    if (!settled || typed !== text) return;
    apply(typed);
    // Applies when the typing has settled and its suggestions are in.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [typed, settled]);
  const byValue = new Map(items.map((s) => [s.value, s]));
  const current = byValue.get(value);
  const description = value && current && current.label !== text ? current.label : value && value !== text.trim() ? value : undefined;
  return (
    <Autocomplete
      label={label}
      placeholder={placeholder}
      data={items.map((s) => s.value)}
      value={text}
      onChange={setText}
      // Enter and leaving the field apply at once, so the next filter changed does not race the pause.
      onKeyDown={(event) => {
        if (event.key === 'Enter') apply(text);
      }}
      onBlur={() => apply(text)}
      filter={({ options }) => options}
      description={description}
      inputWrapperOrder={['label', 'input', 'description']}
      onOptionSubmit={(picked) => {
        applied.current = picked;
        setText(picked);
        onApply(picked);
      }}
      renderOption={({ option }) => {
        const s = byValue.get(option.value);
        return (
          <Group gap={6} wrap="nowrap">
            <Text size="sm">{s?.label ?? option.value}</Text>
            {s?.detail && <Text size="xs" c="dimmed">{s.detail}</Text>}
          </Group>
        );
      }}
    />
  );
}

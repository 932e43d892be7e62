import { useState } from 'react';
import { ApiError, errorMessage } from './api.ts';

/**
 * A form's errors from the server, each under the field it concerns and said once, in words.
 * `words` gives a field's own sentence; otherwise the server's message is used. What names no
 * field of the form stays a general message. A field's error clears when that field changes.
 */
export function useFormErrors<K extends string>(fieldNames: readonly K[], words: Partial<Record<K, string>> = {}) {
  const [fields, setFields] = useState<Partial<Record<K, string>>>({});
  const [general, setGeneral] = useState<string | null>(null);
  function show(error: unknown) {
    const next: Partial<Record<K, string>> = {};
    const rest: string[] = [];
    if (error instanceof ApiError && error.details?.length) {
      for (const detail of error.details) {
        const name = (detail.field ?? detail.path ?? '').split(/[.[]/)[0] as K;
        if (!fieldNames.includes(name)) rest.push(detail.message);
        else next[name] ??= words[name] ?? sentence(detail.message);
      }
    }
    setFields(next);
    const named = Object.keys(next).length > 0;
    setGeneral(!named ? errorMessage(error) : rest.length ? rest.map(sentence).join(' ') : null);
  }
  const clear = (name: K) => {
    setFields((current) => (current[name] === undefined ? current : { ...current, [name]: undefined }));
    setGeneral(null);
  };
  const reset = () => {
    setFields({});
    setGeneral(null);
  };
  return { fields, general, show, clear, reset };
}

/** "must be at least 10 characters" -> "Must be at least 10 characters." */
function sentence(message: string): string {
  const text = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** A short name from a display name: "Acme Corp." -> "acme-corp". */
export function slugFrom(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
}

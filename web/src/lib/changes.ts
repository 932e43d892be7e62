/**
 * What an entry says changed, by the documented convention: `metadata.changes` as
 * `{"field": {"from": x, "to": y}}`, or `metadata.before` and `metadata.after`. Nested objects are
 * compared field by field, so a change deep inside reads as its own path ("filter.type").
 */
export type ChangeKind = 'added' | 'removed' | 'changed';

export interface Change {
  path: string;
  kind: ChangeKind;
  before?: unknown;
  after?: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The differences between two values, objects compared per field (arrays and scalars as a whole). */
export function diffValues(before: unknown, after: unknown, path = ''): Change[] {
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((key) => {
      const at = path ? `${path}.${key}` : key;
      if (!(key in before)) return [{ path: at, kind: 'added' as const, after: after[key] }];
      if (!(key in after)) return [{ path: at, kind: 'removed' as const, before: before[key] }];
      return diffValues(before[key], after[key], at);
    });
  }
  if (same(before, after)) return [];
  if (before === undefined || before === null) return [{ path, kind: 'added', after }];
  if (after === undefined || after === null) return [{ path, kind: 'removed', before }];
  return [{ path, kind: 'changed', before, after }];
}

/** The changes an entry's metadata records, or null when it follows neither form of the convention. */
export function changesOf(metadata: Record<string, unknown> | null): Change[] | null {
  if (!metadata) return null;
  const { changes, before, after } = metadata;
  if (isObject(changes)) {
    const fields = Object.entries(changes).filter(([, v]) => isObject(v) && ('from' in v || 'to' in v));
    if (fields.length === 0) return null;
    return fields.flatMap(([field, v]) => diffValues((v as Record<string, unknown>).from, (v as Record<string, unknown>).to, field));
  }
  if (isObject(before) || isObject(after)) return diffValues(before ?? {}, after ?? {});
  return null;
}

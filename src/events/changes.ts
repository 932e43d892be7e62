/**
 * The documented convention for what an entry changed: `metadata.changes` as
 * `{"field": {"from": x, "to": y}}`, one member per field whose value differs. Auditum's own
 * settings, retention and role entries carry it; the web page shows it as a before-and-after diff.
 */
export type Changes = Record<string, { from: unknown; to: unknown }>;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The fields of `after` (and of `before`) whose values differ, as the convention writes them. */
export function changedFields(was: object, now: object): Changes {
  const before = was as Record<string, unknown>;
  const after = now as Record<string, unknown>;
  const out: Changes = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (!same(before[key], after[key])) out[key] = { from: before[key] ?? null, to: after[key] ?? null };
  }
  return out;
}

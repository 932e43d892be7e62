import type { Entry } from '../events/event.schemas.ts';
import { ALERT_GROUP_PATHS } from '../alerts/alert.service.ts';
import { FIXED_PERSONAL_PATHS, valueAt } from '../events/personal-fields.ts';

/** Whose personal data an erasure removes: one identifier. */
export type Subject = { kind: 'actor_id' | 'email'; value: string } | { kind: 'ip'; value: string };
export const SUBJECT_KINDS = ['actor_id', 'email', 'ip'] as const;

const ACTOR_PATHS = ['actor.id', 'actor.email', 'actor.name', 'ip', 'user_agent'];
const OBO_PATHS = ['actor.on_behalf_of.id', 'actor.on_behalf_of.email'];
const FIXED: ReadonlySet<string> = new Set(FIXED_PERSONAL_PATHS);

/** Emails compare case-insensitively; ids and addresses exactly. */
export const normalizeSubject = (subject: Subject): Subject =>
  subject.kind === 'email' ? { ...subject, value: subject.value.toLowerCase() } : subject;

/**
 * The personal fields of `entry` an erasure of `subject` removes, by the subject's role in it
 * (README, Erasure): as the actor, the actor's fields, IP, user agent and the entry's own listed
 * fields; as on-behalf-of, those fields; as the target (by id), the target's name; a listed field
 * that holds the subject's email; for an IP, the IP and user agent; in an alert.triggered entry
 * grouped by the subject, the action and group that name it. `paths` are the fields the
 * entry can erase (its committed ones), or for a version 1 entry the ones it would have.
 */
export function fieldsToErase(entry: Entry, subject: Subject, paths: readonly string[]): string[] {
  const wanted = new Set<string>();
  const own = paths.filter((path) => !FIXED.has(path));
  const same = (value: unknown) =>
    typeof value === 'string' && (subject.kind === 'email' ? value.toLowerCase() === subject.value : value === subject.value);
  const { actor } = entry;
  if (subject.kind === 'ip') {
    if (same(entry.ip)) ['ip', 'user_agent'].forEach((p) => wanted.add(p));
  } else {
    const key = subject.kind === 'email' ? 'email' : 'id';
    if (same(actor[key])) [...ACTOR_PATHS, ...own].forEach((p) => wanted.add(p));
    if (same(actor.on_behalf_of?.[key])) OBO_PATHS.forEach((p) => wanted.add(p));
    if (subject.kind === 'actor_id' && same(entry.target?.id)) wanted.add('target.name');
    if (subject.kind === 'email') for (const path of own) if (same(valueAt(entry, path))) wanted.add(path);
  }
  // Auditum's own alert.triggered entries name the group they fired for: "actor:<id>", "ip:<address>", a label.
  if (entry.type === 'alert.triggered') {
    const key = valueAt(entry, 'metadata.group_key');
    const label = valueAt(entry, 'metadata.group_label');
    const grouped = typeof key === 'string' && same(key.slice(key.indexOf(':') + 1));
    const labelled = typeof label === 'string' && label.toLowerCase().includes(subject.value.toLowerCase());
    if (grouped || labelled) ALERT_GROUP_PATHS.forEach((p) => wanted.add(p));
  }
  return paths.filter((path) => wanted.has(path));
}

/** The fields a version 1 entry would have committed to: what it holds of the fixed ones and the listed ones. */
export function legacyPaths(entry: Entry, listed: readonly string[]): string[] {
  return [...FIXED_PERSONAL_PATHS, ...listed].filter((path) => {
    const value = valueAt(entry, path);
    return value !== undefined && value !== null;
  });
}

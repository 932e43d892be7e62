import { useLocalStorage, useMediaQuery } from '@mantine/hooks';

/** The Audit Logs table's columns; the required ones cannot be hidden. */
export const COLUMNS = [
  { key: 'time', label: 'Timestamp', required: true },
  { key: 'type', label: 'Event type', required: true },
  { key: 'actor', label: 'Actor' },
  { key: 'target', label: 'Target' },
  { key: 'action', label: 'Action' },
  { key: 'project', label: 'Project' },
  { key: 'ip', label: 'IP address' },
  { key: 'result', label: 'Result', required: true },
] as const;

export type ColumnKey = (typeof COLUMNS)[number]['key'];
const ALL = COLUMNS.map((c) => c.key) as ColumnKey[];
/** Below 1440 px the often-empty Project and the IP address start hidden, so the rest reads whole. */
const LAPTOP = ALL.filter((key) => key !== 'project' && key !== 'ip');
const required = (key: ColumnKey) => COLUMNS.some((c) => c.key === key && 'required' in c);

/**
 * The columns a user chose, remembered in this browser per user. Until they choose, the default
 * follows the screen: every column from 1440 px, all but Project and IP below.
 */
export function useColumns(userKey: string) {
  const [chosen, setChosen] = useLocalStorage<ColumnKey[] | null>({ key: `auditum:columns:${userKey}`, defaultValue: null, getInitialValueInEffect: false });
  const wide = useMediaQuery('(min-width: 90em)', true, { getInitialValueInEffect: false });
  const base = chosen ?? (wide ? ALL : LAPTOP);
  const visible = ALL.filter((key) => base.includes(key) || required(key));
  return { visible, setVisible: (keys: ColumnKey[]) => setChosen(ALL.filter((key) => keys.includes(key) || required(key))) };
}

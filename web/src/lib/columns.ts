import { useLocalStorage } from '@mantine/hooks';

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

/** The columns a user chose, remembered in this browser per user (everyone starts with all of them). */
export function useColumns(userKey: string) {
  const [chosen, setChosen] = useLocalStorage<ColumnKey[]>({ key: `auditum:columns:${userKey}`, defaultValue: ALL, getInitialValueInEffect: false });
  const valid = chosen.filter((key) => ALL.includes(key));
  const visible = ALL.filter((key) => valid.includes(key) || COLUMNS.find((c) => c.key === key && 'required' in c));
  return { visible, setVisible: (keys: ColumnKey[]) => setChosen(ALL.filter((key) => keys.includes(key))) };
}

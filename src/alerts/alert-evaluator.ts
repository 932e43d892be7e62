/**
 * The window and threshold logic of alert rules, free of I/O: given a group's state and one new
 * matching entry, says whether the rule fires, is cooling down, or waits for more.
 * All times are the entries' occurred_at (ms).
 */

/** One matching entry inside a window. */
export interface WindowMatch {
  id: string;
  at: number;
}

/** What is kept per (rule, group) between entries, and across restarts. */
export interface WindowState {
  /** Matches still inside the window, oldest first. */
  matches: WindowMatch[];
  /** The newest occurred_at seen in this group: the window is measured back from it. */
  newestAt: number;
  /** Until when (exclusive) further matches are counted on the last alert instead of firing. */
  cooldownUntil: number | null;
  lastAlertId: string | null;
}

export interface RuleSpec {
  /** Entries needed; 1 for "any matching entry". */
  count: number;
  /** N entries fire when newest.at - oldest.at < windowMs; 0 for "any matching entry". */
  windowMs: number;
  cooldownMs: number;
}

export type Outcome =
  | { kind: 'fire'; matches: WindowMatch[] }
  | { kind: 'suppressed'; alertId: string | null }
  | { kind: 'pending' };

export const emptyState = (): WindowState => ({ matches: [], newestAt: Number.NEGATIVE_INFINITY, cooldownUntil: null, lastAlertId: null });

/** Inserts keeping occurred_at order; an equal time goes after the ones already there (arrival order). */
function insert(matches: WindowMatch[], match: WindowMatch): { list: WindowMatch[]; index: number } {
  let index = matches.length;
  while (index > 0 && matches[index - 1]!.at > match.at) index--;
  return { list: [...matches.slice(0, index), match, ...matches.slice(index)], index };
}

/**
 * The earliest run of at least `count` matches spanning less than `windowMs` that contains the
 * match at `index`, or undefined. Late (out-of-order) entries can complete a window this way too.
 */
function findWindow(list: WindowMatch[], index: number, spec: RuleSpec): WindowMatch[] | undefined {
  if (spec.count <= 1) return [list[index]!];
  for (let i = 0; i <= index; i++) {
    if (list[index]!.at - list[i]!.at >= spec.windowMs) continue;
    let j = index;
    while (j + 1 < list.length && list[j + 1]!.at - list[i]!.at < spec.windowMs) j++;
    if (j - i + 1 >= spec.count) return list.slice(i, j + 1);
  }
  return undefined;
}

/**
 * Adds one matching entry to a group's state. A window that reaches the threshold fires unless
 * the group is cooling down (then the match is counted on the last alert). Firing empties the
 * window (the next alert needs `count` new matches) and starts the cooldown at the newest match
 * of the window. Matches older than the window behind the newest one are dropped.
 */
export function addMatch(spec: RuleSpec, previous: WindowState | undefined, match: WindowMatch): { state: WindowState; outcome: Outcome } {
  const state = previous ?? emptyState();
  const { list, index } = insert(state.matches, match);
  const newestAt = Math.max(state.newestAt, match.at);
  const cooling = state.cooldownUntil !== null && match.at < state.cooldownUntil;
  let matches = list;
  let outcome: Outcome = { kind: 'pending' };
  let cooldownUntil = state.cooldownUntil;
  if (cooling) outcome = { kind: 'suppressed', alertId: state.lastAlertId };
  else {
    const window = findWindow(list, index, spec);
    if (window) {
      outcome = { kind: 'fire', matches: window };
      const fired = new Set(window);
      matches = list.filter((m) => !fired.has(m));
      const end = window[window.length - 1]!.at;
      cooldownUntil = spec.cooldownMs > 0 ? end + spec.cooldownMs : null;
    }
  }
  // "Any" rules keep nothing; threshold rules keep what a later window could still use.
  matches = spec.count <= 1 ? [] : matches.filter((m) => m.at > newestAt - spec.windowMs);
  return { state: { matches, newestAt, cooldownUntil, lastAlertId: state.lastAlertId }, outcome };
}

/** Whether a state still matters at `newestAt` (seen anywhere in the organization): expired ones can be deleted. */
export function isIdle(state: WindowState, now: number): boolean {
  return state.matches.length === 0 && (state.cooldownUntil === null || state.cooldownUntil <= now);
}

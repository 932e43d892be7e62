import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addMatch, type Outcome, type RuleSpec, type WindowState } from '../../src/alerts/alert-evaluator.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 23, 9, 55, 30);

/** Feeds matches (minutes after T0) through addMatch; returns each outcome kind and the final state. */
function run(spec: RuleSpec, minutes: number[], start?: WindowState) {
  let state = start;
  const outcomes: Outcome[] = [];
  minutes.forEach((m, i) => {
    const r = addMatch(spec, state, { id: `e${i + 1}`, at: T0 + m * MIN });
    if (r.outcome.kind === 'fire') r.state.lastAlertId = `alert-after-e${i + 1}`;
    state = r.state;
    outcomes.push(r.outcome);
  });
  return { outcomes, kinds: outcomes.map((o) => o.kind), state: state! };
}

const fiveInTen: RuleSpec = { count: 5, windowMs: 10 * MIN, cooldownMs: 15 * MIN };

describe('alert evaluator', () => {
  it('N-1 matches do not fire, the Nth does', () => {
    assert.deepEqual(run(fiveInTen, [0, 1, 2, 3]).kinds, ['pending', 'pending', 'pending', 'pending']);
    const { kinds, outcomes } = run(fiveInTen, [0, 1, 2, 3, 4]);
    assert.deepEqual(kinds, ['pending', 'pending', 'pending', 'pending', 'fire']);
    const fire = outcomes[4] as Extract<Outcome, { kind: 'fire' }>;
    assert.deepEqual(fire.matches.map((m) => m.id), ['e1', 'e2', 'e3', 'e4', 'e5']);
  });

  it('the window slides across minute boundaries: exactly W apart is outside, just under W is inside', () => {
    // T0 is hh:55:30; 10 minutes later crosses the hour. The first match drops out at exactly +10 min.
    assert.deepEqual(run(fiveInTen, [0, 3, 6, 8, 10]).kinds.at(-1), 'pending');
    assert.deepEqual(run(fiveInTen, [0, 3, 6, 8, 10 - 1 / 60_000]).kinds.at(-1), 'fire');
    // After the oldest slides out, the window keeps the other four: one more inside fires.
    assert.deepEqual(run(fiveInTen, [0, 3, 6, 8, 10, 11]).kinds, ['pending', 'pending', 'pending', 'pending', 'pending', 'fire']);
  });

  it('a late (out-of-order) match can complete a window', () => {
    const { kinds, outcomes } = run(fiveInTen, [5, 6, 7, 8, 2]);
    assert.equal(kinds.at(-1), 'fire');
    assert.deepEqual((outcomes.at(-1) as Extract<Outcome, { kind: 'fire' }>).matches.map((m) => m.id), ['e5', 'e1', 'e2', 'e3', 'e4']);
  });

  it('cooldown: matches during it are suppressed onto the last alert; after it, a full window fires again', () => {
    // Fires at +4; cooldown runs to +19. Matches at 5..18 are suppressed, even with the threshold reached.
    const during = run(fiveInTen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 18]);
    assert.deepEqual(during.kinds.slice(5), ['suppressed', 'suppressed', 'suppressed', 'suppressed', 'suppressed', 'suppressed']);
    assert.deepEqual(during.outcomes[5], { kind: 'suppressed', alertId: 'alert-after-e5' });
    // The attack goes on past the cooldown: suppressed matches still slide through the window
    // (at +22 it holds 18..22, five matches) and the rule fires again.
    const after = run(fiveInTen, [19, 20, 21, 22], during.state);
    assert.deepEqual(after.kinds, ['pending', 'pending', 'pending', 'fire']);
  });

  it('firing empties the window: without cooldown the next alert needs N new matches', () => {
    const spec = { ...fiveInTen, cooldownMs: 0 };
    const { kinds } = run(spec, [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]);
    assert.deepEqual(kinds, ['pending', 'pending', 'pending', 'pending', 'fire', 'pending', 'pending', 'pending', 'pending', 'fire']);
  });

  it('"any matching entry" fires on each match outside the cooldown and keeps no window', () => {
    const any: RuleSpec = { count: 1, windowMs: 0, cooldownMs: 5 * MIN };
    const { kinds, state } = run(any, [0, 1, 4.99, 5, 11]);
    assert.deepEqual(kinds, ['fire', 'suppressed', 'suppressed', 'fire', 'fire']);
    assert.deepEqual(state.matches, []);
    assert.deepEqual(run({ ...any, cooldownMs: 0 }, [0, 0, 0]).kinds, ['fire', 'fire', 'fire']);
  });

  it('state survives serialization (as stored across restarts) with the same result', () => {
    const half = run(fiveInTen, [0, 1, 2]);
    const restored = JSON.parse(JSON.stringify(half.state)) as WindowState;
    assert.deepEqual(run(fiveInTen, [3, 4], restored).kinds, ['pending', 'fire']);
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Entry } from '../../src/events/event.schemas.ts';
import { matchesFilter, searchTerms, searchText } from '../../src/query/event-filter.ts';

const entry: Entry = {
  id: 'e1', org_id: 'o', seq: 1, type: 'user.login', category: 'user', action: 'Anmeldung von ZOË MÜLLER', result: 'failed',
  actor: { id: 'u1', type: 'user', email: 'Zoë.Müller@Example.de' }, project: null, target: null, ip: '10.0.0.1',
  user_agent: null, request: null, metadata: { Straße: 'ÄRGER' }, occurred_at: '2026-01-02T03:04:05.000Z',
  received_at: '2026-01-02T03:04:05.000Z', prev_hash: '0'.repeat(64), hash: 'h'.repeat(64),
};

test('q folds case for non-ASCII letters the same way in the index text and in the terms', () => {
  const text = searchText(entry);
  assert.ok(text.includes('zoë.müller@example.de'));
  assert.deepEqual(searchTerms('  MÜLLER zoë  müller '), ['müller', 'zoë']);
  for (const q of ['müller', 'MÜLLER', 'ärger', 'straße', 'anmeldung zoë']) {
    assert.equal(matchesFilter({ q })(entry), true, q);
  }
  assert.equal(matchesFilter({ q: 'müller absent' })(entry), false);
});

test('structured conditions and time bounds mean what the SQL filter means', () => {
  assert.equal(matchesFilter({ typePrefixes: ['user.'] })(entry), true);
  assert.equal(matchesFilter({ typePrefixes: ['use.'] })(entry), false);
  assert.equal(matchesFilter({ actor: 'Zoë.Müller@Example.de' })(entry), true, 'actor is exact, id or email');
  assert.equal(matchesFilter({ actor: 'zoë.müller@example.de' })(entry), false);
  assert.equal(matchesFilter({ results: ['failed'], ip: '10.0.0.1' })(entry), true);
  const at = Date.parse(entry.occurred_at);
  assert.equal(matchesFilter({ from: at, to: at + 1 })(entry), true, 'from inclusive');
  assert.equal(matchesFilter({ to: at })(entry), false, 'to exclusive');
});

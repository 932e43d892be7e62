import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ruleFilterSchema } from '../../src/alerts/alert-rule.schemas.ts';
import { compileFilter, groupsOf } from '../../src/alerts/rule-matcher.ts';
import type { Entry } from '../../src/events/event.schemas.ts';

function entry(overrides: Partial<Entry> = {}): Entry {
  return {
    id: 'e1', org_id: 'o', seq: 1, type: 'user.role_changed', category: 'user', action: 'Changed role', result: 'success',
    actor: { id: 'u-1', type: 'user', email: 'ada@example.com' }, project: { id: 'p-1' }, target: { type: 'user', id: 'u-2', name: 'bob@example.com' },
    ip: '10.0.0.7', user_agent: 'curl/8', request: null, metadata: { from: 'member', new_role: 'owner' },
    occurred_at: '2026-11-23T10:00:00.000Z', received_at: '2026-11-23T10:00:00.000Z', prev_hash: '', hash: '', ...overrides,
  };
}
const matches = (filter: unknown, e = entry()) => compileFilter(ruleFilterSchema.parse(filter))(e);

describe('rule filter matching', () => {
  it('types and prefixes, categories, results', () => {
    assert.equal(matches({ type: 'user.role_changed' }), true);
    assert.equal(matches({ type: ['user.*'] }), true);
    assert.equal(matches({ type: ['sso.*', 'oidc.configured'] }), false);
    assert.equal(matches({ category: 'security' }), false);
    assert.equal(matches({ result: ['denied', 'success'] }), true);
    assert.equal(matches({ result: 'denied' }), false);
  });

  it('actor by id or email, actor type, target, project, ip', () => {
    assert.equal(matches({ actor: 'u-1' }), true);
    assert.equal(matches({ actor: 'ada@example.com' }), true);
    assert.equal(matches({ actor: 'ADA@example.com' }), false);
    assert.equal(matches({ actor_type: 'api_key' }), false);
    assert.equal(matches({ target_type: 'user', target_id: 'u-2' }), true);
    assert.equal(matches({ target_id: 'u-3' }), false);
    assert.equal(matches({ project: 'p-1', ip: '10.0.0.7' }), true);
    assert.equal(matches({ ip: '10.0.0.70' }), false);
  });

  it('q: every word is a case-insensitive substring somewhere in the entry', () => {
    assert.equal(matches({ q: 'BOB@example owner' }), true);
    assert.equal(matches({ q: 'bob admin' }), false);
  });

  it('metadata: each field equals one of the given values', () => {
    assert.equal(matches({ metadata: { new_role: ['owner', 'admin'] } }), true);
    assert.equal(matches({ metadata: { new_role: ['owner', 'admin'] } }, entry({ metadata: { new_role: 'member' } })), false);
    assert.equal(matches({ metadata: { new_role: 'owner' } }, entry({ metadata: null })), false);
  });

  it('groups by actor, ip, target; an entry without a dimension is not in that group', () => {
    assert.deepEqual(groupsOf(entry(), ['actor', 'ip']).map((g) => g.key), ['actor:u-1', 'ip:10.0.0.7']);
    assert.deepEqual(groupsOf(entry({ ip: null }), ['actor', 'ip']).map((g) => g.key), ['actor:u-1']);
    assert.deepEqual(groupsOf(entry(), ['target']).map((g) => g.key), ['target:user:u-2']);
    assert.deepEqual(groupsOf(entry(), []).map((g) => g.key), ['*']);
  });
});

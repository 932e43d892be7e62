import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { changedFields } from '../../src/events/changes.ts';
import { changesOf, diffValues } from '../../web/src/lib/changes.ts';

describe('the changes convention', () => {
  it('records only the fields that differ, as from and to', () => {
    assert.deepEqual(changedFields({ a: 1, b: [1, 2], c: 'x' }, { a: 1, b: [1, 3], d: true }), {
      b: { from: [1, 2], to: [1, 3] },
      c: { from: 'x', to: null },
      d: { from: null, to: true },
    });
    assert.deepEqual(changedFields({ a: { x: 1 } }, { a: { x: 1 } }), {});
  });

  it('reads metadata.changes and before/after as added, removed, changed, nested by path', () => {
    assert.deepEqual(changesOf({ changes: { role: { from: 'member', to: 'admin' } } }), [
      { path: 'role', kind: 'changed', before: 'member', after: 'admin' },
    ]);
    assert.deepEqual(changesOf({ before: { name: 'A', filter: { type: ['x'] }, old: 1 }, after: { name: 'A', filter: { type: ['y'], q: 'z' }, new: 2 } }), [
      { path: 'filter.type', kind: 'changed', before: ['x'], after: ['y'] },
      { path: 'filter.q', kind: 'added', after: 'z' },
      { path: 'old', kind: 'removed', before: 1 },
      { path: 'new', kind: 'added', after: 2 },
    ]);
    assert.deepEqual(diffValues({ days: 30 }, { days: null }), [{ path: 'days', kind: 'removed', before: 30 }]);
    assert.equal(changesOf({ note: 'no changes recorded' }), null);
    assert.equal(changesOf(null), null);
    assert.equal(changesOf({ changes: 'not an object' }), null);
  });
});

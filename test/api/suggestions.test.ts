import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sampleEvent, startTestApp, type TestApp, type TestOrg } from '../helpers/test-app.ts';

/** GET /v1/suggestions: the values the page's actor, project and target filters offer as you type. */
describe('filter suggestions', () => {
  let t: TestApp;
  let beta: TestOrg;
  before(async () => {
    t = await startTestApp();
    beta = await t.createOrg('beta');
    const events = [
      sampleEvent({ actor: { id: 'u-1', email: 'ada@example.com', name: 'Ada Lovelace' }, project: { id: 'p-9', name: 'Mobile app' }, target: { type: 'flow', id: 'f-1', name: 'Nightly import' } }),
      sampleEvent({ actor: { id: 'u-2', email: 'bob@example.com' }, project: { id: 'p-4', name: 'Checkout' }, target: { type: 'agent', id: 'a-7' } }),
      sampleEvent({ actor: { id: 'k-1', type: 'api_key', name: 'deploy bot' }, target: { type: 'flow', id: 'f-2', name: 'Mobile release' } }),
      sampleEvent({ actor: { id: 'u-1', email: 'ada@example.com', name: 'Ada Lovelace' }, project: { id: 'p-9', name: 'Mobile app' } }),
    ];
    assert.equal((await t.request('POST', '/v1/events', { body: { events } })).status, 201);
    const other = sampleEvent({ actor: { id: 'u-x', email: 'ada.beta@example.com', name: 'Ada Beta' }, project: { id: 'p-x', name: 'Mobile beta' } });
    assert.equal((await t.request('POST', '/v1/events', { key: beta.key, body: other })).status, 201);
  });
  after(() => t.close());

  const suggest = async (field: string, q: string, key?: string) => {
    const res = await t.request('GET', `/v1/suggestions?field=${field}&q=${encodeURIComponent(q)}`, key ? { key } : {});
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.suggestions as Array<{ value: string; label: string; detail?: string }>;
  };

  it('finds a project by its name and answers its id as the value', async () => {
    assert.deepEqual(await suggest('project', 'mobile'), [{ value: 'p-9', label: 'Mobile app', detail: 'p-9' }]);
    assert.deepEqual(await suggest('project', 'P-4'), [{ value: 'p-4', label: 'Checkout', detail: 'p-4' }]);
  });

  it('finds targets by name or id, as type:id, newest first and each once', async () => {
    assert.deepEqual(await suggest('target', 'mobile'), [{ value: 'flow:f-2', label: 'Mobile release', detail: 'flow · f-2' }]);
    assert.deepEqual((await suggest('target', 'f-')).map((s) => s.value), ['flow:f-2', 'flow:f-1']);
    assert.deepEqual((await suggest('target', '')).map((s) => s.value), ['flow:f-2', 'agent:a-7', 'flow:f-1']);
  });

  it('finds actors by name, email or id, with the email as the value where there is one', async () => {
    assert.deepEqual(await suggest('actor', 'lovelace'), [{ value: 'ada@example.com', label: 'Ada Lovelace', detail: 'ada@example.com' }]);
    assert.deepEqual(await suggest('actor', 'deploy'), [{ value: 'k-1', label: 'deploy bot', detail: 'api key' }]);
    assert.deepEqual((await suggest('actor', '')).map((s) => s.value), ['ada@example.com', 'k-1', 'bob@example.com']);
  });

  it('keeps organizations apart', async () => {
    assert.deepEqual((await suggest('project', 'mobile', beta.key)).map((s) => s.value), ['p-x']);
    assert.deepEqual((await suggest('actor', 'ada', beta.key)).map((s) => s.value), ['ada.beta@example.com']);
    assert.deepEqual((await suggest('actor', 'ada')).map((s) => s.value), ['ada@example.com']);
  });

  it('refuses an unknown field or a bad limit with a 400 naming it', async () => {
    const field = await t.request('GET', '/v1/suggestions?field=email&q=a');
    assert.equal(field.status, 400);
    assert.match(JSON.stringify(field.body), /field/);
    const limit = await t.request('GET', '/v1/suggestions?field=actor&limit=500');
    assert.equal(limit.status, 400);
    assert.match(JSON.stringify(limit.body), /limit/);
    assert.equal((await t.request('GET', '/v1/suggestions?field=actor', { key: null })).status, 401);
  });
});

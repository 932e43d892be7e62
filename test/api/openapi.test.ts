import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { startTestApp, type TestApp } from '../helpers/test-app.ts';

/** What anyone may call without credentials. */
const PUBLIC = new Set([
  'get /healthz', 'get /readyz', 'post /oauth/token', 'post /v1/auth/login', 'get /v1/setup', 'post /v1/setup',
  'post /v1/invites/accept', 'post /v1/invites/lookup',
]);

type Operation = { security?: Array<Record<string, string[]>>; responses?: Record<string, unknown>; requestBody?: any };

/** Compiles `files` (name -> source) with the TypeScript compiler; returns its error messages. */
function compile(files: Record<string, string>): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'auditum-openapi-'));
  try {
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    const program = ts.createProgram(Object.keys(files).map((name) => path.join(dir, name)), {
      strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler, skipLibCheck: true, types: [],
    });
    return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('the OpenAPI document (/openapi.json)', () => {
  let t: TestApp;
  let doc: any;
  before(async () => {
    t = await startTestApp();
    doc = (await t.request('GET', '/openapi.json')).body;
  });
  after(() => t.close());

  const operations = () =>
    Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(([route, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ name: `${method} ${route}`, op })));

  it('is valid OpenAPI 3.1 by a maintained validator', async () => {
    const result = await new Validator().validate(doc);
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(result.valid, JSON.stringify(result.errors, null, 1)?.slice(0, 2000));
  });

  it('declares every route\'s security as the server checks it, and the error responses', () => {
    const ops = operations();
    assert.ok(ops.length >= 60, `${ops.length} operations`);
    for (const { name, op } of ops) {
      assert.ok(Array.isArray(op.security), `${name} declares its security`);
      const codes = Object.keys(op.responses ?? {});
      if (PUBLIC.has(name)) {
        assert.deepEqual(op.security, [], `${name} is public`);
        continue;
      }
      assert.ok(op.security!.length > 0, `${name} needs credentials`);
      for (const code of ['401', '403']) assert.ok(codes.includes(code), `${name} documents ${code}`);
      const changes = !name.startsWith('get ');
      const session = op.security!.find((r) => 'session' in r);
      assert.ok(session, `${name} accepts a session`);
      assert.equal('csrf' in session!, changes, `${name}: a session ${changes ? 'needs' : 'does not need'} X-CSRF-Token`);
    }
    const byName = new Map(ops.map(({ name, op }) => [name, op]));
    assert.deepEqual(byName.get('post /v1/events')!.security![0], { bearer: ['events:write'] });
    assert.deepEqual(byName.get('get /v1/events')!.security!.map((r) => Object.keys(r).join('+')), ['bearer', 'oauth2', 'session']);
    // Changing retention is for owners: no machine credential can.
    assert.deepEqual(byName.get('put /v1/settings/retention')!.security, [{ session: [], csrf: [] }]);
    assert.ok(byName.get('post /v1/otlp/v1/logs')!.security!.some((r) => 'apiKeyHeader' in r), 'OTLP ingest takes x-api-key');
    assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ['apiKeyHeader', 'bearer', 'csrf', 'oauth2', 'session']);
    assert.equal(doc.components.securitySchemes.oauth2.flows.clientCredentials.tokenUrl, '/oauth/token');
  });

  it('documents /oauth/token and gives examples', () => {
    const token = doc.paths['/oauth/token'].post;
    assert.ok(token.requestBody.content['application/x-www-form-urlencoded'], 'form-encoded body');
    assert.deepEqual(Object.keys(token.responses).sort(), ['200', '400', '401']);
    const body = JSON.stringify(doc.paths['/v1/events'].post.requestBody);
    assert.match(body, /user\.role_changed/, 'POST /v1/events has an example event');
    assert.match(JSON.stringify(doc.paths['/v1/events'].get.responses['400']), /invalid_request/, 'errors have examples');
  });

  it('gives TypeScript types a client can use (openapi-typescript), which catch a wrong use', async () => {
    const types = astToString(await openapiTS(doc));
    const use = (value: string) => `import type { paths } from './api';
      type Page = paths['/v1/events']['get']['responses'][200]['content']['application/json'];
      type Input = paths['/v1/events']['post']['requestBody'];
      export const seq: Page['events'][number]['seq'] = ${value};
      export const next: Page['next_cursor'] = null;
      export const input: NonNullable<Input>['content']['application/json'] = { type: 'user.login', actor: { id: 'u-1' } };
      export type Token = paths['/oauth/token']['post']['responses'][200]['content']['application/json']['access_token'];`;
    assert.deepEqual(compile({ 'api.ts': types, 'client.ts': use('42') }), []);
    const wrong = compile({ 'api.ts': types, 'client.ts': use("'42'") });
    assert.equal(wrong.length, 1, wrong.join('\n'));
    assert.match(wrong[0]!, /not assignable to type 'number'/);
  });
});

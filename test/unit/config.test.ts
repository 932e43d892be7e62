import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('configuration', () => {
  it('has working defaults', () => {
    const config = loadConfig({});
    assert.equal(config.port, 8080);
    assert.equal(config.dataDir, path.resolve('./data'));
    assert.ok(Object.isFrozen(config));
  });

  it('reads the environment and lets flags override it', () => {
    const config = loadConfig({ PORT: '9000', AUDITUM_DATA_DIR: '/tmp/x' }, { port: '9100' });
    assert.equal(config.port, 9100);
    assert.equal(config.dataDir, '/tmp/x');
  });

  it('names the variable when a value is bad', () => {
    assert.throws(() => loadConfig({ PORT: 'eighty' }), (error: unknown) => error instanceof ConfigError && /PORT/.test(error.message));
    assert.throws(() => loadConfig({ AUDITUM_SQLITE_SYNC: 'sometimes' }), /AUDITUM_SQLITE_SYNC/);
  });
});

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

  it('reads AUDITUM_TRUST_PROXY as off, on, or a list of proxy addresses, and refuses a hop count', () => {
    assert.equal(loadConfig({}).trustProxy, false);
    assert.equal(loadConfig({ AUDITUM_TRUST_PROXY: 'true' }).trustProxy, true);
    assert.equal(loadConfig({ AUDITUM_TRUST_PROXY: 'false' }).trustProxy, false);
    const list = loadConfig({ AUDITUM_TRUST_PROXY: '10.0.0.1, 172.16.0.0/12,::1,loopback' }).trustProxy;
    assert.deepEqual(list, ['10.0.0.1', '172.16.0.0/12', '::1', 'loopback']);
    assert.throws(() => loadConfig({ AUDITUM_TRUST_PROXY: '2' }), /AUDITUM_TRUST_PROXY: a hop count/);
    assert.throws(() => loadConfig({ AUDITUM_TRUST_PROXY: '10.0.0.1,proxy.local' }), /AUDITUM_TRUST_PROXY: .*proxy\.local/);
    assert.throws(() => loadConfig({ AUDITUM_TRUST_PROXY: '10.0.0.0/33' }), /AUDITUM_TRUST_PROXY/);
  });
});

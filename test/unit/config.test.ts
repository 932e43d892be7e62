import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { ConfigError, loadConfig } from '../../src/config.ts';
import { decodeKeyText } from '../../src/keys/key-text.ts';

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

  it('takes AUDITUM_SECRET_KEY as 32 bytes of base64 or hex, never echoing a bad value, and not with the file too', () => {
    const key = randomBytes(32);
    const written = [key.toString('base64'), key.toString('base64url'), key.toString('hex'), ` ${key.toString('hex').toUpperCase()}\n`];
    for (const text of written) {
      assert.ok(decodeKeyText(text)?.equals(key), text);
      assert.equal(loadConfig({ AUDITUM_SECRET_KEY: text }).secretKey, text);
    }
    for (const text of [randomBytes(16).toString('base64'), randomBytes(31).toString('hex'), 'correct horse battery staple']) {
      assert.equal(decodeKeyText(text), undefined, text);
      const named = (error: unknown) => error instanceof ConfigError
        && /^invalid configuration: AUDITUM_SECRET_KEY: must be 32 bytes/.test(error.message) && !error.message.includes(text);
      assert.throws(() => loadConfig({ AUDITUM_SECRET_KEY: text }), named);
    }
    const both = { AUDITUM_SECRET_KEY: key.toString('hex'), AUDITUM_SECRET_KEY_FILE: '/etc/auditum/kek' };
    assert.throws(() => loadConfig(both), /AUDITUM_SECRET_KEY_FILE: set AUDITUM_SECRET_KEY or AUDITUM_SECRET_KEY_FILE, not both/);
  });
});

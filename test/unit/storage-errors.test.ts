import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, failureReason, NotFoundError, StorageError, storageFailure } from '../../src/errors.ts';

const driverError = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('storage failures', () => {
  it('maps driver and file-system codes to the condition they mean', () => {
    const cases: Array<[string, string]> = [
      ['SQLITE_FULL', 'storage_full'],
      ['SQLITE_IOERR_SHMSIZE', 'storage_full'],
      ['ENOSPC', 'storage_full'],
      ['EDQUOT', 'storage_full'],
      ['SQLITE_READONLY', 'storage_read_only'],
      ['SQLITE_READONLY_DBMOVED', 'storage_read_only'],
      ['EROFS', 'storage_read_only'],
      ['EACCES', 'storage_read_only'],
      ['EPERM', 'storage_read_only'],
    ];
    for (const [code, condition] of cases) {
      const mapped = storageFailure(driverError(code));
      assert.ok(mapped instanceof StorageError, code);
      assert.equal(mapped.code, condition, code);
      assert.equal(mapped.status, 503, code);
      assert.ok(mapped.retryAfterSeconds > 0, code);
      assert.equal((mapped.cause as Error & { code: string }).code, code, 'the driver error is kept as the cause');
    }
  });

  it('finds the code in a cause, and leaves everything else alone', () => {
    const wrapped = new Error('append failed', { cause: driverError('SQLITE_FULL', 'database or disk is full') });
    assert.equal(storageFailure(wrapped)?.code, 'storage_full');
    const others = [new Error('boom'), driverError('SQLITE_CONSTRAINT_UNIQUE'), driverError('ECONNREFUSED'), new NotFoundError('export'), 'a string', undefined];
    for (const other of others) {
      assert.equal(storageFailure(other), undefined, String(other));
    }
    const explicit = new StorageError('storage_read_only');
    assert.equal(storageFailure(explicit), explicit);
    assert.ok(explicit instanceof AppError);
  });

  it('gives a stored reason with the condition and the code, not the driver text with its server path', () => {
    const reason = failureReason(driverError('EROFS', "EROFS: read-only file system, mkdir '/srv/auditum/exports/org'"));
    assert.match(reason, /^storage is read-only: .*\(EROFS\)$/);
    assert.ok(!reason.includes('/srv/auditum'));
    assert.equal(failureReason(new Error('the receiver said no')), 'the receiver said no');
  });
});

import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { openDatabase, type Database } from '../../src/db/database.ts';
import { freshDataDir } from '../helpers/test-app.ts';

let dataDir: string;
let database: Database;

before(async () => {
  dataDir = freshDataDir('rollback');
  database = await openDatabase({ dataDir, sync: 'normal' });
});
after(async () => {
  await database.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const orgRow = (slug: string) => ({ id: `org-${slug}`, slug, name: slug, created_at: Date.now() });

test('a transaction SQLite already rolled back by itself rejects with its own error, not "no transaction is active"', async () => {
  // SQLite ends a transaction by itself after SQLITE_FULL and some I/O errors; a ROLLBACK statement stands in for that here.
  const original = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
  await assert.rejects(
    database.db.transaction().execute(async (trx) => {
      await trx.insertInto('orgs').values(orgRow('gone')).execute();
      await sql`rollback`.execute(trx);
      throw original;
    }),
    (error) => error === original,
  );
  assert.equal(await database.db.selectFrom('orgs').select('id').where('slug', '=', 'gone').executeTakeFirst(), undefined);
});

test('a failing transaction still open is rolled back, and the connection takes the next one', async () => {
  await assert.rejects(
    database.db.transaction().execute(async (trx) => {
      await trx.insertInto('orgs').values(orgRow('undone')).execute();
      throw new Error('changed my mind');
    }),
    /changed my mind/,
  );
  assert.equal(await database.db.selectFrom('orgs').select('id').where('slug', '=', 'undone').executeTakeFirst(), undefined);
  await database.db.transaction().execute((trx) => trx.insertInto('orgs').values(orgRow('kept')).execute());
  assert.ok(await database.db.selectFrom('orgs').select('id').where('slug', '=', 'kept').executeTakeFirst());
});

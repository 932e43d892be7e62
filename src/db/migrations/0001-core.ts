import type { Kysely } from 'kysely';
import type { DialectAdapter } from '../dialect.ts';

/** Organizations, API keys, the events table with one index per filter, and chain heads. */
export async function up(db: Kysely<any>, adapter: DialectAdapter): Promise<void> {
  await db.schema
    .createTable('orgs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('org_id', 'text', (c) => c.notNull().references('orgs.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull())
    .addColumn('scopes', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint')
    .addColumn('last_used_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('api_keys_org').on('api_keys').columns(['org_id', 'created_at']).execute();

  await adapter.createEventsTable(db);
  // Rows are keyed by time (pk), and every index entry ends in the pk, so "newest first
  // within one organization matching X" is a backwards walk of index (org_id, X) that stops after one page.
  const key = adapter.indexesEndInKey ? [] : ['pk'];
  const indexes: Record<string, string[]> = {
    events_type: ['org_id', 'type'],
    events_category: ['org_id', 'category'],
    events_actor_id: ['org_id', 'actor_id'],
    events_actor_email: ['org_id', 'actor_email'],
    events_result: ['org_id', 'result'],
    events_target: ['org_id', 'target_type', 'target_id'],
    events_project: ['org_id', 'project_id'],
    events_ip: ['org_id', 'ip'],
  };
  // Where the key is (org_id, pk), the primary key is this index already.
  if (!adapter.keyPerOrganization) indexes.events_org = ['org_id'];
  for (const [name, columns] of Object.entries(indexes)) {
    await db.schema.createIndex(name).on('events').columns([...columns, ...key]).execute();
  }
  // Unique where the engine allows it (see DialectAdapter.uniqueEventIndexes); the chain lock keeps them unique anyway.
  for (const [name, columns] of [['events_seq', ['org_id', 'seq']], ['events_id', ['org_id', 'id']]] as const) {
    const index = db.schema.createIndex(name).on('events').columns([...columns]);
    await (adapter.uniqueEventIndexes ? index.unique() : index).execute();
  }

  await db.schema
    .createTable('chain_heads')
    .addColumn('org_id', 'text', (c) => c.primaryKey())
    .addColumn('last_seq', 'bigint', (c) => c.notNull())
    .addColumn('last_hash', 'text', (c) => c.notNull())
    .execute();

}

import type { Database } from '../db/database.ts';
import type { CheckpointsTable } from '../db/tables.ts';

/** The checkpoints table: signed notes, one per organization and tree size. */
export function createCheckpointRepo({ database }: { database: Database }) {
  const { db } = database;

  async function latest(orgId: string): Promise<CheckpointsTable | undefined> {
    return db.selectFrom('checkpoints').selectAll().where('org_id', '=', orgId).orderBy('tree_size', 'desc').limit(1).executeTakeFirst();
  }

  async function history(orgId: string, limit: number): Promise<CheckpointsTable[]> {
    return db.selectFrom('checkpoints').selectAll().where('org_id', '=', orgId).orderBy('tree_size', 'desc').limit(limit).execute();
  }

  async function bySize(orgId: string, treeSize: number): Promise<CheckpointsTable | undefined> {
    return db.selectFrom('checkpoints').selectAll().where('org_id', '=', orgId).where('tree_size', '=', treeSize).executeTakeFirst();
  }

  /** Stores a checkpoint; a second one for the same size (a race) is ignored. */
  async function insert(row: CheckpointsTable): Promise<void> {
    await db.insertInto('checkpoints').values(row).onConflict((oc) => oc.columns(['org_id', 'tree_size']).doNothing()).execute();
  }

  return { latest, history, bySize, insert };
}

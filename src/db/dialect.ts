import type { Kysely } from 'kysely';

/**
 * Everything that differs between database engines, declared in one place.
 * Feature modules call these methods and never branch on the engine themselves.
 */
export interface DialectAdapter {
  readonly name: 'sqlite';
  /** Creates the events table keyed by the caller-assigned, time-ordered integer `pk`. */
  createEventsTable(db: Kysely<any>): Promise<void>;
  /** Lets the engine refresh planner statistics; cheap when nothing changed. */
  optimize(db: Kysely<any>): Promise<void>;
  /**
   * While `on`, content this connection deletes or overwrites is erased from the file rather than
   * left in free space: for rewriting values that were stored in clear.
   */
  eraseOverwritten(db: Kysely<any>, on: boolean): Promise<void>;
}

import { sql, type Kysely } from 'kysely';

/**
 * Distinct values of an organization's entries as skip scans over an index (org_id, column): one
 * seek per distinct value, never a scan of the entries. `table` is the events table or a filter
 * index with its columns (FilterIndex), where `orgId` may be the organization's number.
 */

/** The distinct event types, each with the category of its newest entry. */
type OrgKey = string | number;

export async function distinctTypes(
  db: Kysely<any>,
  table: string,
  orgId: OrgKey,
): Promise<Array<{ type: string; category: string }>> {
  const t = sql.table(table);
  const result = await sql<{ type: string; category: string }>`
    WITH RECURSIVE seen(type) AS (
      SELECT min(type) FROM ${t} WHERE org_id = ${orgId}
      UNION ALL
      SELECT (SELECT min(type) FROM ${t} WHERE org_id = ${orgId} AND type > seen.type)
      FROM seen WHERE seen.type IS NOT NULL
    )
    SELECT seen.type AS type,
      (SELECT category FROM ${t} WHERE org_id = ${orgId} AND type = seen.type ORDER BY pk DESC LIMIT 1) AS category
    FROM seen WHERE seen.type IS NOT NULL`.execute(db);
  return result.rows;
}

/** Up to `limit` distinct actor emails starting with `prefix`, in order. */
export async function distinctActorEmails(
  db: Kysely<any>,
  table: string,
  orgId: OrgKey,
  prefix: string,
  limit: number,
): Promise<string[]> {
  const t = sql.table(table);
  const length = [...prefix].length;
  const result = await sql<{ email: string }>`
    WITH RECURSIVE seen(email, n) AS (
      SELECT min(actor_email), 1 FROM ${t} WHERE org_id = ${orgId} AND actor_email >= ${prefix}
      UNION ALL
      SELECT (SELECT min(actor_email) FROM ${t} WHERE org_id = ${orgId} AND actor_email > seen.email), seen.n + 1
      FROM seen
      WHERE seen.email IS NOT NULL AND substr(seen.email, 1, ${length}) = ${prefix} AND seen.n <= ${limit}
    )
    SELECT email FROM seen WHERE email IS NOT NULL AND substr(email, 1, ${length}) = ${prefix}
    ORDER BY n LIMIT ${limit}`.execute(db);
  return result.rows.map((r) => r.email);
}

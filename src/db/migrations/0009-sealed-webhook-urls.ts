import type { Kysely } from 'kysely';
import { createSecretBox } from '../../access/secret-box.ts';
import { legacySecretBoxKey } from '../../keys/legacy-key-files.ts';
import { sealWebhookUrl } from '../../alerts/webhook-url.ts';
import type { DialectAdapter } from '../dialect.ts';
import type { MigrationContext } from '../migrate.ts';

/**
 * Alert webhook URLs were stored in clear, and hooks often carry a secret in their path: encrypts
 * each one as the webhook service now stores it, erasing the clear text from the file's free space.
 */
export async function up(db: Kysely<any>, adapter: DialectAdapter, context: MigrationContext): Promise<void> {
  const rows: Array<{ org_id: string; url: string }> = await db
    .selectFrom('alert_webhooks')
    .select(['org_id', 'url'])
    .execute();
  // A sealed value is base64, which never contains "://".
  const clear = rows.filter((row) => /^https?:\/\//i.test(row.url));
  if (clear.length === 0) return;
  // With the data dir's secret.key, as when this migration was written; the keyring imports it afterwards.
  const secrets = createSecretBox({ key: legacySecretBoxKey(context.dataDir) });
  await adapter.eraseOverwritten(db, true);
  for (const row of clear) {
    await db
      .updateTable('alert_webhooks')
      .set({ url: sealWebhookUrl(secrets, row.org_id, row.url) })
      .where('org_id', '=', row.org_id)
      .execute();
  }
  await adapter.eraseOverwritten(db, false);
}

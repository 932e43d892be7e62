import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.ts';
import { AppError } from '../errors.ts';
import { resolveKek } from '../keys/key-encryption-key.ts';
import { openKeyring } from '../keys/keyring.ts';
import { copyDatabase, type CopyProgress } from './copy.ts';
import { openDatabase } from './database.ts';
import { safeUrl } from './postgres.ts';

export interface DbCopyOptions {
  /** The SQLite data directory to copy from. */
  from: string;
  /** The postgres:// URL to copy to. */
  to: string;
  /** The source's key-encryption key file, when it was configured rather than kept in its data dir. */
  fromSecretKeyFile?: string;
  /** The target's configuration: its key-encryption key (AUDITUM_SECRET_KEY or AUDITUM_SECRET_KEY_FILE). */
  config: Config;
  /** Where to show progress (a terminal); nothing is shown without one. */
  progress?: NodeJS.WritableStream;
}

/** One line per table, rewritten in place at most five times a second. */
function progressLine(stream: NodeJS.WritableStream): (progress: CopyProgress) => void {
  let shownAt = 0;
  return ({ table, copied, total }) => {
    const done = copied === total;
    if (!done && Date.now() - shownAt < 200) return;
    shownAt = Date.now();
    stream.write(`\r\x1b[Kcopying ${table}: ${copied}/${total}${done ? '\n' : ''}`);
  };
}

/**
 * `auditum db copy`: migrates the PostgreSQL database `to`, opens the SQLite installation `from`
 * (its keys too, importing an older version's key files as a first start would), copies it, and
 * checks that the copied keys open with the target's configuration. Returns the summary line.
 */
export async function runDbCopy({ from, to, fromSecretKeyFile, config, progress }: DbCopyOptions): Promise<string> {
  const sourceDir = path.resolve(from);
  if (!fs.existsSync(path.join(sourceDir, 'auditum.db'))) {
    const message = `--from ${from}: no auditum.db there (give the SQLite installation's data directory)`;
    throw new AppError(400, 'invalid_request', message);
  }
  if (!/^postgres(ql)?:\/\//.test(to)) throw new AppError(400, 'invalid_request', '--to must be a postgres:// URL');
  const target = await openDatabase({ dataDir: config.dataDir, url: to, sync: config.sqliteSync });
  try {
    const inDataDir = target.adapter.keyEncryptionKeyInDataDir;
    const targetKek = resolveKek({ settings: config, dataDir: config.dataDir, inDataDir, hasStoredKeys: true });
    const source = await openDatabase({ dataDir: sourceDir, sync: config.sqliteSync });
    try {
      const settings = { secretKeyFile: fromSecretKeyFile };
      const sourceKeys = await openKeyring({ database: source, dataDir: sourceDir, settings });
      const onProgress = progress ? progressLine(progress) : undefined;
      const copied = await copyDatabase({ source, sourceKeys, target, targetKek, onProgress });
      // The keys open with the target's configuration, as a server on it will open them.
      await openKeyring({ database: target, dataDir: config.dataDir, settings: config });
      const what = `${copied.orgs} organization(s), ${copied.events} entries, `
        + `${copied.checkpoints} checkpoint(s), ${copied.key_material} key(s)`;
      return `copied ${what} from ${sourceDir} to ${safeUrl(to)}`;
    } finally {
      await source.close();
    }
  } finally {
    await target.close();
  }
}

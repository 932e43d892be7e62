import fs from 'node:fs';
import path from 'node:path';

/**
 * Everything Auditum keeps in its data directory (the audit log, keys, exports) is readable by
 * its own user only, whatever the process umask: directories 0700, files 0600.
 */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** The directories from the top-most missing one down to `dir`. */
function missingDirs(dir: string): string[] {
  const missing: string[] = [];
  for (let at = path.resolve(dir); !fs.existsSync(at) && path.dirname(at) !== at; at = path.dirname(at)) missing.unshift(at);
  return missing;
}

const exists = (error: unknown) => (error as NodeJS.ErrnoException).code === 'EEXIST';

/**
 * Creates a directory and any missing parents, owner-only. An existing directory is left as it
 * is (it may be a shared mount point). One level at a time rather than `recursive: true`, which
 * reports ENOENT where a parent could not be made on a read-only disk; this gives EROFS.
 */
export function makePrivateDir(dir: string): void {
  for (const at of missingDirs(dir)) {
    try {
      fs.mkdirSync(at, { mode: PRIVATE_DIR_MODE });
    } catch (error) {
      if (!exists(error)) throw error;
    }
  }
}

/** makePrivateDir for async callers. */
export async function makePrivateDirAsync(dir: string): Promise<void> {
  for (const at of missingDirs(dir)) await fs.promises.mkdir(at, { mode: PRIVATE_DIR_MODE }).catch((error: unknown) => {
    if (!exists(error)) throw error;
  });
}

/**
 * Prepares an SQLite file before SQLite opens it: creates it empty and owner-only when absent,
 * because SQLite gives the -wal and -shm files it creates the main file's mode. A file or
 * sidecar left readable to others by an older version is tightened.
 */
export function preparePrivateSqliteFile(file: string): void {
  fs.closeSync(fs.openSync(file, 'a', PRIVATE_FILE_MODE));
  for (const name of [file, `${file}-wal`, `${file}-shm`]) tighten(name);
}

function tighten(file: string): void {
  let mode: number;
  try {
    mode = fs.statSync(file).mode;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if ((mode & 0o077) === 0) return;
  try {
    fs.chmodSync(file, mode & 0o700);
  } catch (error) {
    // Someone else's file (a CLI run by another user): theirs to fix, not a reason to refuse to start.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
  }
}

/**
 * Creates `file` owner-only holding `content` unless it already exists (then false). A write
 * that fails (a full disk) removes the file again, so no short key is left under the name to
 * be read back later.
 */
export function createPrivateFile(file: string, content: Uint8Array): boolean {
  let fd: number;
  try {
    // 'wx' fails if the file exists: two processes starting together cannot overwrite each other's.
    fd = fs.openSync(file, 'wx', PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    fs.writeFileSync(fd, content);
    fs.fsyncSync(fd);
  } catch (error) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
    throw error;
  }
  fs.closeSync(fd);
  return true;
}

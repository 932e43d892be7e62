import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** Why mount-based tests cannot run here (not root, no mount), or undefined when they can. */
export function cannotMount(scratch: string): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to mount a tmpfs or a read-only bind mount';
  const probe = fs.mkdtempSync(path.join(scratch, 'mount-probe-'));
  try {
    mountTmpfs(probe, 1);
    unmount(probe);
    return undefined;
  } catch (error) {
    return `mount failed: ${(error as Error).message.split('\n')[0]}`;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

/** Mounts a tmpfs of `mebibytes` MiB at `dir` (which must exist). */
export function mountTmpfs(dir: string, mebibytes: number): void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mebibytes}m,mode=0700`, 'tmpfs', dir], { stdio: 'pipe' });
}

/**
 * Makes `dir` read-only from now on by bind-mounting it onto itself read-only. Files a process
 * already has open stay writable through their descriptors (the database keeps working); new
 * files and directories under `dir` cannot be made: EROFS.
 */
export function bindReadOnly(dir: string): void {
  execFileSync('mount', ['--bind', dir, dir], { stdio: 'pipe' });
  try {
    execFileSync('mount', ['-o', 'remount,bind,ro', dir], { stdio: 'pipe' });
  } catch (error) {
    unmount(dir);
    throw error;
  }
}

/** Unmounts `dir`; lazily, so a test that failed with files still open there does not leave the mount behind. */
export function unmount(dir: string): void {
  execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
}

/** Writes `file` until the file system is full (ENOSPC); returns the bytes written. */
export function fillDisk(file: string): number {
  const chunk = Buffer.alloc(64 * 1024, 0x78);
  const fd = fs.openSync(file, 'w');
  let written = 0;
  try {
    // Bounded: a tmpfs of a few MiB fills within a few hundred chunks; 1 GiB would mean the mount is not what the test made.
    for (let i = 0; i < 16_384; i++) {
      try {
        written += fs.writeSync(fd, chunk);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOSPC') return written;
        throw error;
      }
    }
    throw new Error(`${file}: wrote 1 GiB without filling the disk`);
  } finally {
    fs.closeSync(fd);
  }
}

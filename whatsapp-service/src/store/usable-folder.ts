import { closeSync, fsyncSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/** A folder the service must write to cannot be used: a fact for the operator, not a crash. */
export class FolderUnusableError extends Error {
  constructor(readonly folder: string, readonly setting: string, cause: unknown) {
    super(`${setting} ${folder} cannot be written (${describe(cause)}): give the service's user a writable folder with free space`);
    this.name = 'FolderUnusableError';
  }
}

/** Enough for the database to be created and a few messages to be stored. */
const PROBE_BYTES = 256 * 1024;

/**
 * Creates `folder` (0700) if needed and proves it takes a small file, synced:
 * a read-only mount, a missing permission or a full disk is found before any
 * state is touched, not as a stack trace half way through starting.
 */
export function ensureUsableFolder(folder: string, setting: string): void {
  const probe = path.join(folder, `.write-test-${process.pid}`);
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    const fd = openSync(probe, 'w', 0o600);
    try {
      writeSync(fd, Buffer.alloc(PROBE_BYTES));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    throw new FolderUnusableError(folder, setting, error);
  } finally {
    rmSync(probe, { force: true });
  }
}

/** SQLite's and the file system's codes for "this folder cannot take our data". */
export function isStorageFailure(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^(EACCES|EPERM|EROFS|ENOSPC|EDQUOT|ENOTDIR|SQLITE_(FULL|READONLY|CANTOPEN|IOERR|PERM))/.test(code);
}

const PLAIN: Record<string, string> = {
  EACCES: 'permission denied', EPERM: 'permission denied', SQLITE_PERM: 'permission denied',
  EROFS: 'read-only file system', SQLITE_READONLY: 'read-only file system',
  ENOSPC: 'no space left on the device', EDQUOT: 'no space left on the device', SQLITE_FULL: 'no space left on the device',
};

function describe(error: unknown): string {
  const code = String((error as { code?: unknown }).code ?? '');
  return PLAIN[code] ?? PLAIN[code.replace(/^(SQLITE_[A-Z]+)_.*$/, '$1')] ?? (error instanceof Error ? error.message : String(error));
}

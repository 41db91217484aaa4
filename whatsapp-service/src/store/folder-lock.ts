import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

/** Another process holds the folder. */
export class FolderLockedError extends Error {
  constructor(readonly folder: string, readonly holderPid: number | null) {
    super(`${folder} is in use by another whatsapp-service process${holderPid ? ` (pid ${holderPid})` : ''}; stop it first, or give this one its own DATA_DIR and AUTH_DIR`);
    this.name = 'FolderLockedError';
  }
}

export interface FolderLock {
  release(): void;
}

const LOCK_FILE = 'service.lock';
const PID_FILE = 'service.pid';

/**
 * Takes `folder` for this process alone. The lock is SQLite's exclusive file
 * lock (an OS lock, in locking_mode EXCLUSIVE held until the connection
 * closes), so the operating system drops it when the process dies, even by
 * SIGKILL: no stale lock files to clean up by hand.
 */
export function lockFolder(folder: string): FolderLock {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const db = new Database(path.join(folder, LOCK_FILE), { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL)');
    db.prepare('DELETE FROM holder').run();
    db.prepare('INSERT INTO holder (pid) VALUES (?)').run(process.pid);
    db.exec('COMMIT');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) throw new FolderLockedError(folder, holderPid(folder));
    throw error;
  }
  const pidFile = path.join(folder, PID_FILE);
  writeFileSync(pidFile, `${process.pid}\n`, { mode: 0o600 });
  return {
    release() {
      if (!db.open) return;
      rmSync(pidFile, { force: true });
      db.close();
    },
  };
}

function holderPid(folder: string): number | null {
  try {
    const pid = Number(readFileSync(path.join(folder, PID_FILE), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

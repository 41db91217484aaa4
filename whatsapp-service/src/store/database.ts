import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

/** The database file inside DATA_DIR. */
export function databaseFile(dataDir: string): string {
  return path.join(dataDir, 'whatsapp-service.sqlite');
}

/**
 * Opens (creating if needed) the service's SQLite file in `dataDir`.
 * WAL with synchronous=NORMAL: a committed row survives a killed process;
 * FULL also survives power loss at the price of an fsync per commit.
 */
export function openDatabase(dataDir: string, options: { synchronous?: 'NORMAL' | 'FULL' } = {}): Db {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  chmodSync(dataDir, 0o700);
  const db = new Database(databaseFile(dataDir));
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
  db.pragma('busy_timeout = 5000');
  // Checkpoints normally run in a background thread (checkpointer.ts); this is the safety net.
  db.pragma('wal_autocheckpoint = 10000');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

export function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`database schema version ${current} is newer than this service (${MIGRATIONS.length}); update the service`);
  }
  MIGRATIONS.slice(current).forEach((sql, index) => {
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${current + index + 1}`);
    })();
  });
}

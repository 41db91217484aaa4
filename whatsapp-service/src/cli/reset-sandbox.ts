import path from 'node:path';
import { loadEnvFile, serviceDir } from '../environment.js';
import { MediaStore } from '../media/media-store.js';
import { openDatabase } from '../store/database.js';
import { FolderLockedError, lockFolder } from '../store/folder-lock.js';
import { EARLIER_LIVE, lastTransport, MESSAGE_TABLES } from '../store/folder-use.js';

/**
 * npm run reset-sandbox: deletes what the sandbox stored in DATA_DIR (messages,
 * replies, files), so that the folder can serve a live number. Refuses while the
 * service runs, and on a folder a live number used.
 */
loadEnvFile();
const dataDir = path.resolve(serviceDir, process.env.DATA_DIR?.trim() || 'data');
let lock;
try {
  lock = lockFolder(dataDir);
} catch (error) {
  console.error(error instanceof FolderLockedError ? `Stop the service first: ${error.message}` : String(error));
  process.exit(1);
}
const db = openDatabase(dataDir);
try {
  const last = lastTransport(db);
  if (last !== null && last !== 'sandbox') {
    const by = last === EARLIER_LIVE ? 'a live number (its messages are not the sandbox\'s)' : `the live number (TRANSPORT=${last})`;
    console.error(`DATA_DIR ${dataDir} belongs to ${by}; nothing was deleted.`);
    process.exitCode = 1;
  } else {
    const media = new MediaStore(db, dataDir);
    const files = media.forget((db.prepare('SELECT id FROM media').all() as Array<{ id: string }>).map((row) => row.id));
    const counts = db.transaction(() => {
      const deleted = Object.fromEntries(MESSAGE_TABLES.map((table) => [table, db.prepare(`DELETE FROM ${table}`).run().changes]));
      db.prepare(`DELETE FROM meta WHERE key = 'transport'`).run();
      return deleted;
    })();
    console.log(`Deleted the sandbox's data in ${dataDir}: ${counts.events} messages and reports, ${counts.outbox} replies, ${files} files. The folder is ready for a live number.`);
  }
} finally {
  db.close();
  lock.release();
}

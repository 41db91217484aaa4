import path from 'node:path';
import { loadEnvFile, serviceDir } from '../environment.js';
import { openDatabase } from '../store/database.js';
import { EventStore } from '../store/event-store.js';

/**
 * npm run dead-letters                 list events the webhook refused for good
 * npm run dead-letters -- replay 3 7   queue those again
 * npm run dead-letters -- replay --all queue all of them again
 * npm run dead-letters -- drop 3 7     delete those for good (also --all)
 * A running service picks replayed events up within seconds.
 */
loadEnvFile();
const [command = 'list', ...args] = process.argv.slice(2);
const db = openDatabase(path.resolve(serviceDir, process.env.DATA_DIR?.trim() || 'data'));
const events = new EventStore(db);

try {
  if (command === 'list') {
    const dead = events.listDead();
    if (dead.length === 0) console.log('No dead letters.');
    for (const row of dead) {
      const when = new Date(row.created_at).toISOString();
      console.log(`#${row.id}  ${row.kind.padEnd(7)}  chat ${row.chat}  ${when}  attempts ${row.attempts}  ${row.last_error ?? ''}`);
    }
  } else if (command === 'replay' || command === 'drop') {
    const ids = args.includes('--all') ? events.listDead(Number.MAX_SAFE_INTEGER).map((row) => row.id) : args.map(Number);
    if (ids.length === 0 || ids.some((id) => !Number.isInteger(id) || id <= 0)) {
      console.error(`Usage: npm run dead-letters -- ${command} <id> [<id> ...] | --all`);
      process.exitCode = 2;
    } else if (command === 'replay') {
      console.log(`Queued ${events.replay(ids, Date.now())} of ${ids.length} event(s) again.`);
    } else {
      console.log(`Deleted ${events.dropDead(ids)} of ${ids.length} dead event(s).`);
    }
  } else {
    console.error('Usage: npm run dead-letters [-- list | replay <id> ... | replay --all | drop <id> ... | drop --all]');
    process.exitCode = 2;
  }
} finally {
  db.close();
}

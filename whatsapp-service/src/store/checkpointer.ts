import { Worker } from 'node:worker_threads';

/**
 * Moves SQLite's WAL checkpoints (and their fsync) off the main thread: a
 * worker with its own connection checkpoints PASSIVE-ly, which never blocks
 * writers. Without it, a checkpoint stalls every delivery for milliseconds.
 */
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} }, workerData.everyMs);
parentPort.on('message', () => { clearInterval(timer); db.close(); process.exit(0); });
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

export function startCheckpointer(file: string, everyMs = 500): Checkpointer {
  const driver = import.meta.resolve('better-sqlite3').replace(/^file:\/\//, '');
  const worker = new Worker(WORKER, { eval: true, workerData: { file, everyMs, driver: decodeURIComponent(driver) } });
  worker.unref();
  return {
    async stop() {
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.ref(); // keep the process alive until the worker has closed its connection
      worker.postMessage('stop');
      await exited;
    },
  };
}

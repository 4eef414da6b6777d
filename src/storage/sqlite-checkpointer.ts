import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Runs SQLite WAL checkpoints on a worker thread. A checkpoint copies the WAL back into the database
 * file and fsyncs it; done by SQLite's automatic checkpoint, that fsync blocks the event loop in the
 * middle of a COMMIT. Here the main connection turns automatic checkpoints off and a second connection
 * on its own thread runs PASSIVE checkpoints, which never block writers. Durability does not change:
 * committed data is in the WAL either way.
 */
export function startCheckpointer(file: string, intervalMs = 200): { stop(): Promise<void> } {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { file, intervalMs, driver: createRequire(import.meta.url).resolve('better-sqlite3') },
  });
  worker.unref();
  worker.on('error', () => undefined); // a failed checkpoint is retried; the next COMMIT still succeeds
  return {
    async stop() {
      // Hold the event loop open until the worker has closed its connection; otherwise Node may exit
      // right here, with the caller's close (and any error it was about to report) never finishing.
      worker.ref();
      worker.postMessage('stop');
      await new Promise((resolve) => worker.once('exit', resolve));
    },
  };
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
}, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); db.close(); process.exit(0); });
`;

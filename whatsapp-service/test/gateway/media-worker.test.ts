import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createLogger } from '../../src/log.js';
import { MediaStore } from '../../src/media/media-store.js';
import { MediaWorker } from '../../src/media/media-worker.js';
import { openDatabase } from '../../src/store/database.js';
import { EventStore } from '../../src/store/event-store.js';
import { MediaError } from '../../src/transport/transport.js';
import { waitFor } from '../helpers/receiver.js';

const HOUR = 3_600_000;

/** The worker on a real database, with a clock, a connection and a download the test controls. */
function setUp() {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wa-media-worker-'));
  const db = openDatabase(dataDir);
  const events = new EventStore(db);
  const world = { now: 1_000_000, connected: false, downloads: 0, ready: [] as number[], added: [] as number[] };
  const worker = new MediaWorker({
    events,
    media: new MediaStore(db, dataDir),
    download: async () => {
      world.downloads += 1;
      throw new MediaError('media server answered 503', 'download_failed', true);
    },
    maxBytes: 1_000_000,
    isConnected: () => world.connected,
    ready: (id) => world.ready.push(id),
    added: (id) => world.added.push(id),
    maxAgeMs: 2 * HOUR,
    log: createLogger('silent'),
    backoff: { baseMs: 10, maxMs: 20 },
    holdMs: 50,
    now: () => world.now,
  });
  const message = { id: 'W1', chat: '491701', phone: '491701', name: '', timestamp: 1, type: 'image', text: 'Foto', edited: false, media: { pending: true, mimetype: 'image/jpeg', filename: '', size: 10 } };
  const id = events.insert({ kind: 'message', dedupeKey: 'message:W1', chat: '491701', payload: JSON.stringify({ event: 'message', message }), mediaSource: '{}' }, world.now)!;
  return {
    world, worker, events, id,
    close() {
      worker.stop();
      db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

test('a file is not tried while WhatsApp is not connected, and is tried as soon as it is', async () => {
  const t = setUp();
  try {
    t.worker.start();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(t.world.downloads, 0, 'no attempt without a connection (an expired file needs the phone)');
    assert.deepEqual(t.world.ready, [t.id], 'the message still goes on after the hold');
    t.world.connected = true;
    t.worker.connected();
    await waitFor(() => t.world.downloads >= 2, 'tried and retried once connected');
  } finally {
    t.close();
  }
});

test('a file that never comes is given up after DELIVERY_MAX_AGE_HOURS, and the ticket is told as "<id>.file"', async () => {
  const t = setUp();
  try {
    t.world.connected = true;
    t.worker.start();
    await waitFor(() => t.world.ready.length === 1, 'the message went on after the hold');
    assert.equal(JSON.parse(t.events.get(t.id)!.payload).message.media.error, 'delayed');
    assert.ok(t.world.added.length === 0, 'still trying');
    t.world.now += 2 * HOUR; // two hours later, still failing
    await waitFor(() => t.world.added.length === 1, 'given up');
    const late = JSON.parse(t.events.get(t.world.added[0]!)!.payload).message;
    assert.deepEqual([late.id, late.media.error], ['W1.file', 'download_failed']);
    assert.match(late.media.reason, /not downloaded within 2 hours: media server answered 503/);
    assert.deepEqual(t.events.lateFiles(), []);
  } finally {
    t.close();
  }
});

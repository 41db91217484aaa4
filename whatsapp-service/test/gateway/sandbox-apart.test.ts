import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createLogger } from '../../src/log.js';
import { createService } from '../../src/service.js';
import { openDatabase } from '../../src/store/database.js';
import { OutboxStore } from '../../src/store/outbox-store.js';
import { initialState, type Transport, type TransportHandlers } from '../../src/transport/transport.js';
import { SECRET, customerSays, startService, testConfig } from '../helpers/service.js';
import { Receiver } from '../helpers/receiver.js';
import { runUntilExit } from '../helpers/process.js';

/** A live transport that records what it is asked to send. */
function liveTransport(sent: string[]): Transport {
  let handlers: TransportHandlers | null = null;
  return {
    name: 'baileys',
    async start(h) {
      handlers = h;
      h.state({ ...initialState('connected'), me: '4930123456' });
    },
    async stop() {
      handlers?.state(initialState('stopped'));
    },
    async send(chat, text) {
      sent.push(`${chat}: ${text}`);
      return { whatsappId: `LIVE${sent.length}` };
    },
  };
}

test('a reply the sandbox still had queued never reaches a live number: the switch refuses until `npm run reset-sandbox`', async () => {
  const receiver = new Receiver(SECRET);
  const webhook = await receiver.start();
  const trial = await startService({ WEBHOOK_URL: webhook });
  await trial.stop({ keepData: true });
  // What the trial left: a reply to a sandbox "customer" that was not sent yet.
  const db = openDatabase(trial.dataDir);
  new OutboxStore(db).enqueue({ key: 'entry:77', chat: '447700900123', text: 'Antwort an den Testkunden', mediaId: null, ticket: null }, Date.now());
  db.close();

  const sent: string[] = [];
  const config = testConfig({ DATA_DIR: trial.dataDir, WEBHOOK_URL: webhook, TRANSPORT: 'baileys', AUTH_DIR: path.join(trial.dataDir, 'auth') });
  await assert.rejects(createService(config, createLogger('silent'), () => liveTransport(sent)), (error: Error) => {
    assert.equal(error.name, 'MixedUseError');
    assert.match(error.message, /holds the sandbox's messages and replies, which must not reach real customers with TRANSPORT=baileys: run `npm run reset-sandbox`/);
    return true;
  });
  assert.deepEqual(sent, []);

  // As the operator sees it: one line, exit 78 (no restart loop).
  const refused = await runUntilExit({ DATA_DIR: trial.dataDir, WEBHOOK_URL: webhook, WEBHOOK_SECRET: SECRET, TRANSPORT: 'baileys', AUTH_DIR: path.join(trial.dataDir, 'auth') });
  assert.equal(refused.code, 78, refused.output);
  assert.match(refused.output.trim().split('\n').at(-1)!, /^Cannot start: DATA_DIR .* holds the sandbox's messages/);

  const reset = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/reset-sandbox.ts'], { env: { ...process.env, ENV_FILE: '/nonexistent', DATA_DIR: trial.dataDir }, encoding: 'utf8' });
  assert.equal(reset.status, 0, reset.stderr);
  assert.match(reset.stdout, /Deleted the sandbox's data .*1 replies/);

  const live = await createService(config, createLogger('silent'), () => liveTransport(sent));
  await live.start();
  await new Promise((resolve) => setTimeout(resolve, 300));
  await live.stop();
  assert.deepEqual(sent, [], 'nothing of the trial was sent');
  await receiver.stop();
});

test('the sandbox refuses a live number\'s folder; reset-sandbox refuses it too and deletes nothing', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wa-live-'));
  const sent: string[] = [];
  const receiver = new Receiver(SECRET);
  const webhook = await receiver.start();
  const live = await createService(testConfig({ DATA_DIR: dataDir, WEBHOOK_URL: webhook, TRANSPORT: 'baileys', AUTH_DIR: path.join(dataDir, 'auth') }), createLogger('silent'), () => liveTransport(sent));
  await live.start();
  live.gateway.send({ chat: '4930999999', text: 'an einen echten Kunden', key: 'entry:1' });
  await live.stop();

  await assert.rejects(startService({ WEBHOOK_URL: webhook }, { dataDir }), /holds the messages of the live WhatsApp number \(TRANSPORT=baileys\): give the sandbox a DATA_DIR of its own/);
  const reset = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/reset-sandbox.ts'], { env: { ...process.env, ENV_FILE: '/nonexistent', DATA_DIR: dataDir }, encoding: 'utf8' });
  assert.equal(reset.status, 1);
  assert.match(reset.stderr, /belongs to the live number \(TRANSPORT=baileys\); nothing was deleted/);
  const db = openDatabase(dataDir);
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM outbox').get() as { n: number }).n, 1);
  db.close();
  await receiver.stop();
});

test('a folder from before the record is judged by its messages: a live one is never reset, a sandbox one never goes live', async () => {
  const receiver = new Receiver(SECRET);
  const webhook = await receiver.start();
  const reset = (dataDir: string) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/reset-sandbox.ts'], { env: { ...process.env, ENV_FILE: '/nonexistent', DATA_DIR: dataDir }, encoding: 'utf8' });
  const forgetRecord = (dataDir: string) => {
    const db = openDatabase(dataDir);
    db.prepare('DELETE FROM meta').run(); // as an earlier version left it
    db.close();
  };

  const live = mkdtempSync(path.join(tmpdir(), 'wa-old-live-'));
  const db = openDatabase(live);
  new OutboxStore(db).enqueue({ key: 'entry:9', chat: '4930999999', text: 'an einen echten Kunden', mediaId: null, ticket: null }, Date.now());
  db.close();
  forgetRecord(live);
  const refused = reset(live);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /belongs to a live number \(its messages are not the sandbox's\); nothing was deleted/);

  const trial = await startService({ WEBHOOK_URL: webhook });
  await customerSays(trial.url, '447700900123', 'Test');
  await trial.stop({ keepData: true });
  forgetRecord(trial.dataDir);
  const sent: string[] = [];
  const config = testConfig({ DATA_DIR: trial.dataDir, WEBHOOK_URL: webhook, TRANSPORT: 'baileys', AUTH_DIR: path.join(trial.dataDir, 'auth') });
  await assert.rejects(createService(config, createLogger('silent'), () => liveTransport(sent)), /holds the sandbox's messages/);
  await receiver.stop();
});

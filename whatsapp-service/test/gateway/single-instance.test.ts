import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { lockFolder } from '../../src/store/folder-lock.js';
import { SECRET, customerSays } from '../helpers/service.js';
import { exited, freePort, runUntilExit, spawnService } from '../helpers/process.js';
import { Receiver, waitFor } from '../helpers/receiver.js';

/** `npm start` by mistake next to the running service: same folders, another port. */
const startSecond = (env: Record<string, string>) => runUntilExit({ WEBHOOK_SECRET: SECRET, ...env });

test('one process per data folder: a second start exits with 78 naming the holder; the first keeps working; SIGKILL leaves no stale lock', async () => {
  const receiver = new Receiver(SECRET);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'wa-one-'));
  const env = { WEBHOOK_URL: await receiver.start(), WEBHOOK_SECRET: SECRET, DATA_DIR: dataDir };
  const first = await spawnService(env, freePort());
  try {
    const second = await startSecond({ DATA_DIR: dataDir, WEBHOOK_URL: env.WEBHOOK_URL });
    assert.equal(second.code, 78, second.output);
    assert.match(second.output, new RegExp(`Cannot start: .*${path.basename(dataDir)} is in use by another whatsapp-service process \\(pid ${first.child.pid}\\)`));

    assert.equal((await fetch(`${first.url}/health`)).status, 200, 'the first one is untouched');
    assert.equal((await customerSays(first.url, '4915300000071', 'noch da?')).status, 202);
    await waitFor(() => receiver.messages().some((m) => m.text === 'noch da?'), 'delivered by the first');

    first.child.kill('SIGKILL');
    await exited(first.child);
    const third = await spawnService(env, freePort());
    third.child.kill('SIGTERM');
    assert.equal(await exited(third.child), 0, 'the folder was free again after a SIGKILL');
  } finally {
    first.child.kill('SIGKILL');
    await receiver.stop();
  }
});

test('one process per WhatsApp session: a held AUTH_DIR stops a Baileys start before it connects', async () => {
  const authDir = mkdtempSync(path.join(tmpdir(), 'wa-auth-one-'));
  const held = lockFolder(authDir);
  try {
    const second = await startSecond({ TRANSPORT: 'baileys', AUTH_DIR: authDir, DATA_DIR: mkdtempSync(path.join(tmpdir(), 'wa-one-')) });
    assert.equal(second.code, 78, second.output);
    assert.match(second.output, new RegExp(`${path.basename(authDir)} is in use by another whatsapp-service process \\(pid ${process.pid}\\)`));
    assert.doesNotMatch(second.output, /HTTP API listening|connect/i, 'nothing started');
  } finally {
    held.release();
  }
});

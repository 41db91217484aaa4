import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { SECRET, api, customerSays, startService } from '../helpers/service.js';
import { runUntilExit } from '../helpers/process.js';
import { waitFor } from '../helpers/receiver.js';

/** `npm start` with the given DATA_DIR: its exit code and everything it printed. */
const start = (dataDir: string) => runUntilExit({ LOG_LEVEL: 'info', WEBHOOK_SECRET: SECRET, DATA_DIR: dataDir });

function assertOneLine(result: { code: number | null; output: string }, reason: RegExp): void {
  assert.equal(result.code, 78, result.output);
  const lines = result.output.trim().split('\n');
  assert.equal(lines.length, 1, `one line, no stack trace:\n${result.output}`);
  assert.match(lines[0]!, /^Cannot start: DATA_DIR \S+ cannot be written \(/);
  assert.match(lines[0]!, reason);
}

/** A tmpfs mounted with `options` for one test. */
function withTmpfs(options: string, use: (folder: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'wa-tmpfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', folder]);
    try {
      await use(folder);
    } finally {
      execFileSync('umount', [folder]);
      rmSync(folder, { recursive: true, force: true });
    }
  };
}

/** Whether this run may mount a tmpfs (root with CAP_SYS_ADMIN, as on the CI machine); else those tests are skipped. */
const canMount = process.getuid?.() === 0 && (() => {
  const folder = mkdtempSync(path.join(tmpdir(), 'wa-mount-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', folder], { stdio: 'ignore' });
    execFileSync('umount', [folder]);
    return true;
  } catch {
    return false;
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
})();

test('DATA_DIR where a file is in the way: one line, exit 78 (a supervisor does not restart in a loop)', async () => {
  const parent = mkdtempSync(path.join(tmpdir(), 'wa-file-'));
  try {
    writeFileSync(path.join(parent, 'data'), 'not a folder');
    assertOneLine(await start(path.join(parent, 'data', 'whatsapp')), /ENOTDIR|not a directory/);
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

test('a read-only DATA_DIR: one line naming it, exit 78', { skip: !canMount && 'needs root to mount a tmpfs' }, withTmpfs('size=1m,ro', async (folder) => {
  assertOneLine(await start(folder), /\(read-only file system\)/);
}));

test('a full DATA_DIR: one line naming it, exit 78', { skip: !canMount && 'needs root to mount a tmpfs' }, withTmpfs('size=64k', async (folder) => {
  assertOneLine(await start(folder), /\(no space left on the device\)/);
}));

test('DATA_DIR fills up while running: the customer is refused (WhatsApp would resend), /health names it, and all works again once there is room', { skip: !canMount && 'needs root to mount a tmpfs' }, withTmpfs('size=2m', async (folder) => {
  const running = await startService({ WEBHOOK_URL: 'http://127.0.0.1:9/unused' }, { dataDir: folder });
  const filler = path.join(folder, 'someone-elses-log');
  try {
    assert.equal((await customerSays(running.url, '4915300000081', 'noch Platz')).status, 202);
    try {
      writeFileSync(filler, Buffer.alloc(4 * 1024 * 1024));
    } catch {
      /* ENOSPC: the disk is full now, as intended */
    }
    const refused = await customerSays(running.url, '4915300000081', 'x'.repeat(60_000));
    assert.equal(refused.status, 500);
    const health = await api(`${running.url}/health`, { key: null });
    assert.equal(health.status, 503);
    assert.match(health.body.problems.join(' '), /storage: inbound messages cannot be stored \(database or disk is full\)/);

    rmSync(filler);
    assert.equal((await customerSays(running.url, '4915300000081', 'wieder Platz')).status, 202);
    // The delivery worker's results are written again at its next (slowed) attempt.
    await waitFor(async () => !(await api(`${running.url}/health`, { key: null })).body.problems.some((p: string) => p.startsWith('storage')), 'storage ok again', 10_000);
  } finally {
    await running.stop({ keepData: true });
  }
}));

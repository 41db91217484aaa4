import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { SessionStore } from '../../../src/transport/baileys/session-store.js';

test('npm run unlink without a running service deletes the stored session', () => {
  const authDir = mkdtempSync(path.join(tmpdir(), 'wa-auth-'));
  const store = new SessionStore(authDir);
  store.authState().saveCreds();
  store.close();
  const run = () =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/unlink.ts'], {
      env: { ...process.env, ENV_FILE: '/nonexistent', AUTH_DIR: authDir, PORT: '39871' },
      encoding: 'utf8',
      timeout: 20_000,
    });
  const first = run();
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /Deleted the session/);
  assert.equal(existsSync(path.join(authDir, 'session.sqlite')), false);
  assert.match(run().stdout, /No stored session/);
});

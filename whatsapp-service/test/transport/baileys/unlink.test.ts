import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { lockFolder } from '../../../src/store/folder-lock.js';
import { SessionStore } from '../../../src/transport/baileys/session-store.js';

const unlink = (authDir: string) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/unlink.ts'], {
    env: { ...process.env, ENV_FILE: '/nonexistent', AUTH_DIR: authDir, PORT: '39871' },
    encoding: 'utf8',
    timeout: 20_000,
  });

test('npm run unlink without a running service forgets the linked device and keeps the contacts (customers known by LID stay on their tickets)', () => {
  const authDir = mkdtempSync(path.join(tmpdir(), 'wa-auth-'));
  const store = new SessionStore(authDir);
  store.authState().saveCreds();
  store.rememberContact('123456789012345', '4915112345678', 'lid:123456789012345');
  store.close();

  const first = unlink(authDir);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /Forgot the linked device .*known contacts stay/);
  const after = new SessionStore(authDir);
  try {
    assert.equal(after.hasCredentials(), false, 'a new QR code at the next start');
    assert.deepEqual(after.contact('123456789012345'), { phone: '4915112345678', chat: 'lid:123456789012345' });
  } finally {
    after.close();
  }
  assert.match(unlink(authDir).stdout, /No linked device stored/);
});

test('npm run unlink refuses while a service holds AUTH_DIR (one listening elsewhere keeps its session)', () => {
  const authDir = mkdtempSync(path.join(tmpdir(), 'wa-auth-'));
  const store = new SessionStore(authDir);
  store.authState().saveCreds();
  store.close();
  const held = lockFolder(authDir);
  try {
    const run = unlink(authDir);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /Stop the service first: .* is in use by another whatsapp-service process/);
  } finally {
    held.release();
  }
  const still = new SessionStore(authDir);
  assert.equal(still.hasCredentials(), true);
  still.close();
});

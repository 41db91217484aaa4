import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { SECRET, api, startService } from '../helpers/service.js';

test('without an API key on loopback: endpoints are open, /send-secure refuses with 403', async () => {
  const running = await startService({ WEBHOOK_URL: 'http://127.0.0.1:9/webhook', API_KEY: '' });
  try {
    const body = JSON.stringify({ phone: '49123456789', message: 'x' });
    assert.equal((await api(`${running.url}/send`, { method: 'POST', body, key: null })).status, 202);
    const secure = await api(`${running.url}/send-secure`, { method: 'POST', body, key: null });
    assert.equal(secure.status, 403);
    assert.equal(secure.body.error.code, 'api_key_not_configured');
  } finally {
    await running.stop();
  }
});

test('the service refuses to start on a public address without an API key, naming the key', () => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, ENV_FILE: '/nonexistent', HOST: '0.0.0.0', API_KEY: '', WEBHOOK_URL: 'http://127.0.0.1:9/', WEBHOOK_SECRET: SECRET, TRANSPORT: 'sandbox' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(result.status, 78);
  assert.match(result.stderr, /API_KEY: is required when HOST \(0\.0\.0\.0\)/);
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { SECRET, api, customerSays, startService } from '../helpers/service.js';
import { Receiver, waitFor } from '../helpers/receiver.js';

function deadLetters(dataDir: string, ...args: string[]): { status: number | null; stdout: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/dead-letters.ts', ...args], {
    env: { ...process.env, ENV_FILE: '/nonexistent', DATA_DIR: dataDir },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: result.status, stdout: result.stdout + result.stderr };
}

test('dead letters are listed with their reason and, replayed, reach the webhook while the service runs', async () => {
  const receiver = new Receiver(SECRET);
  let pluginBroken = true;
  receiver.respond = () => (pluginBroken ? { status: 422, body: { error: { code: 'unprocessable' } } } : { status: 200, body: { ok: true } });
  const running = await startService({ WEBHOOK_URL: await receiver.start() });
  try {
    await customerSays(running.url, '4915300000001', 'eins');
    await customerSays(running.url, '4915300000002', 'zwei');
    await waitFor(async () => (await api(`${running.url}/health`, { key: null })).body.queues.webhook.dead === 2, 'two dead letters');

    const listed = deadLetters(running.dataDir);
    assert.equal(listed.status, 0);
    assert.match(listed.stdout, /#1 +message +chat 4915300000001 .* HTTP 422 unprocessable/);
    assert.match(listed.stdout, /#2 +message +chat 4915300000002/);

    pluginBroken = false;
    assert.match(deadLetters(running.dataDir, 'replay', '1').stdout, /Queued 1 of 1/);
    await waitFor(() => receiver.messages().filter((m) => m.text === 'eins').length === 2, 'replayed #1 delivered');
    assert.match(deadLetters(running.dataDir, 'replay', '--all').stdout, /Queued 1 of 1/);
    await waitFor(() => receiver.messages().filter((m) => m.text === 'zwei').length === 2, 'replayed #2 delivered');
    assert.match(deadLetters(running.dataDir).stdout, /No dead letters/);
    assert.equal(deadLetters(running.dataDir, 'replay', 'x').status, 2);
  } finally {
    await running.stop();
    await receiver.stop();
  }
});

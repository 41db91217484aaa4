import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { SECRET, api, customerSays, startService } from '../helpers/service.js';
import { Receiver, waitFor } from '../helpers/receiver.js';

test('a WEBHOOK_URL answering 200 with an HTML page is not the plugin: the message is kept, /health names it, and it is delivered once the plugin answers', async () => {
  const receiver = new Receiver(SECRET);
  let plugin = false;
  receiver.respond = () => (plugin ? { status: 200, body: { ok: true, replies: [{ text: 'Danke!' }] } } : { status: 200, raw: '<!DOCTYPE html><html><head><title>Support Center</title></head><body>osTicket</body></html>' });
  const running = await startService({ WEBHOOK_URL: await receiver.start() }, { tuning: { probeMs: 100 } });
  try {
    await customerSays(running.url, '4917100000201', 'Hallo');
    const health = await waitFor(async () => (await api(`${running.url}/health`, { key: null })).body.webhook.state === 'misconfigured', 'named on /health')
      .then(() => api(`${running.url}/health`, { key: null }));
    assert.equal(health.status, 503);
    assert.match(health.body.webhook.problem, /the webhook URL answered with something that is not the plugin \(an HTML page\)/);
    assert.equal(health.body.queues.webhook.pending, 1, 'kept');
    assert.equal(health.body.queues.webhook.dead, 0, 'never given up for it');
    plugin = true;
    await waitFor(() => running.sandbox.outbound('4917100000201').length === 1, 'delivered, and its reply sent', 30_000);
    assert.equal(receiver.messages().filter((m) => m.text === 'Hallo').length >= 2, true);
    assert.equal((await api(`${running.url}/health`, { key: null })).body.ok, true);
  } finally {
    await running.stop();
    await receiver.stop();
  }
});

test('WEBHOOK_TIMEOUT_MS limits the whole call: a receiver that trickles its answer a byte at a time is cut off and retried', async () => {
  let calls = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      calls++;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const body = '{"ok":true,"replies":[]}';
      let i = 0;
      const drip = setInterval(() => {
        if (res.destroyed || i >= body.length) {
          clearInterval(drip);
          return res.end();
        }
        res.write(body[i++]!);
      }, 300); // 24 bytes over 7 s: never idle for long, but far over the limit
      res.on('close', () => clearInterval(drip));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const running = await startService({ WEBHOOK_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, WEBHOOK_TIMEOUT_MS: '1000' });
  try {
    const started = Date.now();
    await customerSays(running.url, '4917100000202', 'Langsam');
    await waitFor(() => calls >= 2, 'cut off and tried again', 10_000);
    assert.ok(Date.now() - started < 6_000, `the first call was cut after about a second (${Date.now() - started} ms for two calls)`);
    const health = await api(`${running.url}/health`, { key: null });
    assert.match(health.body.webhook.problem ?? '', /timeout/);
    assert.equal(health.body.queues.webhook.pending, 1);
  } finally {
    await running.stop();
    server.closeAllConnections();
    server.close();
  }
});

test('an answer over 4 MB from the plugin counts as delivered once; its replies are dropped', async () => {
  const receiver = new Receiver(SECRET);
  receiver.respond = () => ({ status: 200, body: { ok: true, replies: [{ text: 'x'.repeat(1000) }], padding: 'y'.repeat(5 * 1024 * 1024) } });
  const running = await startService({ WEBHOOK_URL: await receiver.start() });
  try {
    await customerSays(running.url, '4917100000203', 'Groß');
    await waitFor(() => running.service.gateway.queueDepths().events.delivered === 1, 'delivered');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(receiver.messages().length, 1, 'once');
    assert.deepEqual(running.sandbox.outbound('4917100000203'), [], 'its replies dropped');
  } finally {
    await running.stop();
    await receiver.stop();
  }
});

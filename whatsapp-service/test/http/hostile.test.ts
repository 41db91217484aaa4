import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { API_KEY, SECRET, api, startService } from '../helpers/service.js';
import { exited, freePort, spawnService } from '../helpers/process.js';
import { Receiver } from '../helpers/receiver.js';

/** Sends bytes as they are over TCP and returns what came back (or '' when the server just closed). */
function raw(port: number, bytes: string, waitMs = 2_000): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('error', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    setTimeout(() => {
      socket.destroy();
      resolve(answer);
    }, waitMs);
  });
}

test('malformed request targets and garbage sent raw over TCP never stop the process; it answers 400 and goes on', async () => {
  const port = freePort();
  const receiver = new Receiver(SECRET);
  const service = await spawnService({ WEBHOOK_URL: await receiver.start(), WEBHOOK_SECRET: SECRET, API_KEY: '' }, port);
  try {
    for (const target of ['//[', 'http://[/', '//', '*', 'http://evil.example/health', '/%', '/health?%E0%A4%A']) {
      const answer = await raw(port, `GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      assert.match(answer, /^HTTP\/1\.1 (200|400|404)/, `${target}: ${answer.slice(0, 60)}`);
    }
    for (const garbage of ['\x00\x01\x02\r\n\r\n', 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX: a\rb\r\n\r\n', `GET /${'a'.repeat(20_000)} HTTP/1.1\r\n\r\n`, 'POST /send HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nzz']) {
      await raw(port, garbage, 500);
    }
    assert.equal(service.child.exitCode, null, 'still running');
    assert.equal((await fetch(`${service.url}/health`)).status, 200);
  } finally {
    service.child.kill('SIGTERM');
    await exited(service.child);
    await receiver.stop();
  }
});

test('without an API key only loopback host names are served (no DNS rebinding), and state changes need a JSON body', async () => {
  const running = await startService({ WEBHOOK_URL: 'http://127.0.0.1:9/webhook', API_KEY: '' });
  const port = Number(new URL(running.url).port);
  try {
    const rebound = await raw(port, 'GET /status HTTP/1.1\r\nHost: attacker.example:3000\r\nConnection: close\r\n\r\n');
    assert.match(rebound, /^HTTP\/1\.1 421/);
    assert.match(rebound, /wrong_host/);
    for (const host of ['127.0.0.1', `localhost:${port}`, `[::1]:${port}`]) {
      assert.match(await raw(port, `GET /status HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`), /^HTTP\/1\.1 200/, host);
    }
    // A cross-site form post (text/plain, no body) cannot log the phone out.
    const logout = await fetch(`${running.url}/logout`, { method: 'POST', headers: { 'Content-Type': 'text/plain' } });
    assert.equal(logout.status, 415);
    const send = await fetch(`${running.url}/send`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ phone: '4917100000001', message: 'x' }) });
    assert.equal(send.status, 415);
    assert.equal(running.service.gateway.queueDepths().outbox.queued, 0);
  } finally {
    await running.stop();
  }
});

test('HEAD /health answers without a body; the headers timeout is as configured; a text-only body is capped near the text limit', async () => {
  const receiver = new Receiver(SECRET);
  const running = await startService({ WEBHOOK_URL: await receiver.start() }, { tuning: { headersTimeoutMs: 600 } });
  const port = Number(new URL(running.url).port);
  try {
    const head = await fetch(`${running.url}/health`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');

    const started = Date.now();
    const slow = await raw(port, 'GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n', 10_000);
    const took = Date.now() - started;
    assert.ok(took < 3_000, `closed after ${took} ms (headers timeout 600 ms)`);
    assert.match(slow, /^HTTP\/1\.1 408/);

    const text = JSON.stringify({ phone: '4917100000001', message: 'x'.repeat(60_000), key: 'k', padding: 'y'.repeat(1_200_000) });
    const capped = await api(`${running.url}/send`, { method: 'POST', body: text });
    assert.equal(capped.status, 413);
    assert.match(capped.body.error.message, /without a file is at most/);
  } finally {
    await running.stop();
    await receiver.stop();
  }
});

test('a 40 MB /send is answered 413 and the client reads it, 10 times of 10 (the rest of the body is read and dropped, not reset)', async () => {
  const receiver = new Receiver(SECRET);
  const running = await startService({ WEBHOOK_URL: await receiver.start() });
  const body = Buffer.alloc(40 * 1024 * 1024, 0x61);
  try {
    const seen: string[] = [];
    for (let i = 0; i < 10; i++) {
      try {
        const answer = await fetch(`${running.url}/send`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-API-Key': API_KEY }, body });
        seen.push(`${answer.status} ${(await answer.json() as { error: { code: string } }).error.code}`);
      } catch (error) {
        seen.push(String((error as { cause?: { code?: string } }).cause?.code ?? error));
      }
    }
    assert.deepEqual(seen, Array(10).fill('413 payload_too_large'));
  } finally {
    await running.stop();
    await receiver.stop();
  }
});

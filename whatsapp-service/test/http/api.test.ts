import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { API_KEY, SECRET, api, startService, type RunningService } from '../helpers/service.js';
import { Receiver, waitFor } from '../helpers/receiver.js';

let receiver: Receiver;
let running: RunningService;
let url: string;

before(async () => {
  receiver = new Receiver(SECRET);
  // MEDIA_MAX_MB 1: a send body may carry a file of 1 MB in base64, so the body limit is about 2.5 MB.
  running = await startService({ WEBHOOK_URL: await receiver.start(), MEDIA_MAX_MB: '1' });
  url = running.url;
});
after(async () => {
  await running.stop();
  await receiver.stop();
});

const nothingStored = () => {
  const depths = running.service.gateway.queueDepths();
  assert.equal(Object.values(depths.outbox).reduce((a, b) => a + b, 0), 0, 'outbox is empty');
  assert.equal(Object.values(depths.events).reduce((a, b) => a + b, 0), 0, 'no events');
};

test('/health is open and tells liveness, connection and queue depths', async () => {
  const health = await api(`${url}/health`, { key: null });
  assert.equal(health.status, 200);
  assert.equal(health.body.ok, true);
  assert.equal(health.body.connection, 'connected');
  assert.deepEqual(health.body.queues, { webhook: { pending: 0, dead: 0 }, outbox: { queued: 0, held: 0, failed: 0 } });
});

test('every other endpoint needs the API key, by header or bearer token', async () => {
  const send = { method: 'POST', body: JSON.stringify({ phone: '49123456789', message: 'x' }) };
  for (const [path, init] of [['/status', {}], ['/qr', {}], ['/send', send], ['/send-secure', send], ['/sandbox/inbound', send], ['/sandbox/outbound?phone=49123456789', {}]] as const) {
    const none = await api(`${url}${path}`, { ...init, key: null });
    assert.equal(none.status, 401, `${path} without key`);
    assert.equal(none.body.error.code, 'unauthorized');
    const wrong = await api(`${url}${path}`, { ...init, key: `${API_KEY}x` });
    assert.equal(wrong.status, 401, `${path} with wrong key`);
  }
  const bearer = await fetch(`${url}/status`, { headers: { Authorization: `Bearer ${API_KEY}` } });
  assert.equal(bearer.status, 200);
  assert.equal((await bearer.json()).connection, 'connected');
  nothingStored();
});

test('malformed requests get 400/415 with a JSON error and store nothing', async () => {
  const cases: Array<[RequestInit, number, string]> = [
    [{ method: 'POST', body: '{"phone":' }, 400, 'invalid_json'],
    [{ method: 'POST', body: '[1,2]' }, 400, 'bad_request'],
    [{ method: 'POST', body: JSON.stringify({ phone: 'call me', message: 'x' }) }, 400, 'invalid_phone'],
    [{ method: 'POST', body: JSON.stringify({ phone: '015112345678', message: 'x' }) }, 400, 'invalid_phone'],
    [{ method: 'POST', body: JSON.stringify({ phone: '49123456789', message: '' }) }, 400, 'invalid_message'],
    [{ method: 'POST', body: JSON.stringify({ phone: '49123456789', message: 42 }) }, 400, 'invalid_message'],
    [{ method: 'POST', body: JSON.stringify({ phone: '49123456789', message: 'x'.repeat(65_537) }) }, 400, 'invalid_message'],
    [{ method: 'POST', body: 'phone=49123456789', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }, 415, 'unsupported_media_type'],
  ];
  for (const [init, status, code] of cases) {
    const result = await api(`${url}/send`, init);
    assert.equal(result.status, status, `${String(init.body).slice(0, 40)} -> ${result.text.slice(0, 100)}`);
    assert.equal(result.body.error.code, code);
  }
  const inbound = await api(`${url}/sandbox/inbound`, { method: 'POST', body: JSON.stringify({ phone: '49123456789', text: 'x', type: 'hologram' }) });
  assert.equal(inbound.status, 400);
  nothingStored();
});

test('oversized bodies are refused with 413, whether declared or streamed', async () => {
  const big = JSON.stringify({ phone: '49123456789', message: 'x'.repeat(3 * 1024 * 1024) });
  const declared = await api(`${url}/send`, { method: 'POST', body: big });
  assert.equal(declared.status, 413);
  assert.equal(declared.body.error.code, 'payload_too_large');

  // Chunked, without Content-Length: the limit is enforced while reading.
  const streamed = await new Promise<number>((resolve, reject) => {
    const req = request(`${url}/send`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-API-Key': API_KEY } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    for (let i = 0; i < 60; i++) req.write('x'.repeat(64 * 1024));
    req.end();
  }).catch(() => 413); // the server may also cut the connection once it has answered
  assert.equal(streamed, 413);
  nothingStored();
});

test('a message of exactly 65,536 characters (emoji included) is accepted', async () => {
  const message = '😀'.repeat(65_536);
  const result = await api(`${url}/send`, { method: 'POST', body: JSON.stringify({ phone: '49123456789', message, key: 'longest' }) });
  assert.equal(result.status, 202);
  await waitFor(() => running.sandbox.outbound('49123456789').length === 1, 'sent');
  assert.equal(running.sandbox.outbound('49123456789')[0]!.text, message, 'sent whole');
});

test('unknown paths and methods: 404 and 405 with JSON errors, never CORS headers', async () => {
  const missing = await api(`${url}/nope`);
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'not_found');
  const wrongMethod = await fetch(`${url}/send`, { method: 'GET', headers: { 'X-API-Key': API_KEY } });
  assert.equal(wrongMethod.status, 405);
  assert.equal(wrongMethod.headers.get('allow'), 'POST');
  const preflight = await fetch(`${url}/send`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' } });
  assert.equal(preflight.status, 405);
  assert.equal(preflight.headers.get('access-control-allow-origin'), null);
});

test('/qr says why there is no code while connected; /status describes the connection', async () => {
  const qr = await api(`${url}/qr`);
  assert.equal(qr.status, 404);
  assert.equal(qr.body.error.code, 'no_qr');
  assert.match(qr.body.error.message, /already linked/);
  const status = await api(`${url}/status`);
  assert.equal(status.body.connection, 'connected');
  assert.equal(status.body.transport, 'sandbox');
  assert.equal(status.body.qr_available, false);
});

test('the sandbox plays a phone that is off: a reply stays sent until it is on again, then delivered, then read when looked at', async () => {
  const chat = '49123450077';
  const contacts = (body: Record<string, unknown>) => api(`${url}/sandbox/contacts`, { method: 'POST', body: JSON.stringify({ phone: chat, ...body }) });
  assert.equal((await contacts({})).status, 400, 'says what to play');
  assert.equal((await contacts({ phone_online: 'no' })).status, 400);
  assert.deepEqual((await contacts({ phone_online: false })).body, { phone: chat, phone_online: false });
  const sent = await api(`${url}/send-secure`, { method: 'POST', body: JSON.stringify({ phone: chat, message: 'Hallo', key: 'entry:77' }) });
  assert.equal(sent.status, 202);
  const states = () => receiver.received.filter((r) => r.event.event === 'status' && r.event.status.key === 'entry:77').map((r) => r.event.status.state);
  await waitFor(() => states().includes('sent'), 'sent');
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(states(), ['sent'], 'not delivered while the phone is off');
  await contacts({ phone_online: true });
  await waitFor(() => states().includes('delivered'), 'delivered once the phone is on');
  await api(`${url}/sandbox/outbound?phone=${chat}&read=1`);
  await waitFor(() => states().includes('read'), 'read once the chat is looked at');
  assert.deepEqual(states(), ['sent', 'delivered', 'read']);
});

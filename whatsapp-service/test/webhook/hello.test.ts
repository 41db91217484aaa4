import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { SECRET, api, customerSays, playConnection, startService } from '../helpers/service.js';
import { Receiver, waitFor } from '../helpers/receiver.js';

const health = async (url: string) => (await api(`${url}/health`, { key: null })).body;

test('a mistyped webhook path (osTicket: 400 "URL not supported", not the plugin) is named at start; messages are kept, none dead, and go once the URL is right', async () => {
  const receiver = new Receiver(SECRET);
  // osTicket answers any unknown path under api/ like this (include/class.api.php: Http::response(400, "URL not supported")).
  receiver.respond = () => ({ status: 400, raw: 'URL not supported' });
  const url = await receiver.start();
  const running = await startService({ WEBHOOK_URL: url.replace('/webhook', '/api/whatsapp/webhook') });
  try {
    assert.equal(receiver.received[0]?.event.event, 'hello', 'the first call is the hello, before any customer wrote');
    assert.equal(receiver.received[0]?.headers['x-event'], 'hello');
    assert.equal(receiver.received[0]?.signatureOk, true);
    const sick = await health(running.url);
    assert.equal(sick.ok, false);
    assert.equal(sick.webhook.state, 'misconfigured');
    assert.match(sick.problems.join('\n'), /webhook: WEBHOOK_URL answers 400 'URL not supported', not the plugin: is the path …\/api\/whatsapp\/webhook\.php\?instance=<id>/);

    await customerSays(running.url, '4915300000201', 'Hallo?');
    await waitFor(() => receiver.messages().length >= 2, 'tried twice (kept, not given up)', 20_000);
    const kept = await health(running.url);
    assert.deepEqual(kept.queues.webhook, { pending: 1, dead: 0 });
    await running.stop({ keepData: true });

    receiver.respond = () => ({ status: 200, body: { ok: true, replies: [] } }); // the administrator fixes WEBHOOK_URL and restarts
    receiver.received.length = 0;
    const fixed = await startService({ WEBHOOK_URL: url }, { dataDir: running.dataDir });
    try {
      await waitFor(async () => (await health(fixed.url)).queues.webhook.pending === 0, 'delivered after the fix');
      assert.deepEqual(receiver.messages().map((m) => m.text), ['Hallo?'], 'once');
      const well = await health(fixed.url);
      assert.equal(well.ok, true);
      assert.ok(Date.parse(well.webhook.last_ok_at) > 0, 'the last delivery is shown');
    } finally {
      await fixed.stop();
    }
  } finally {
    await receiver.stop();
  }
});

test('a wrong secret is named by the hello before any customer writes; until a hello or delivery succeeded the webhook is "not yet confirmed"', async () => {
  const receiver = new Receiver('another-secret-0123456789');
  const running = await startService({ WEBHOOK_URL: await receiver.start() });
  try {
    const sick = await health(running.url);
    assert.match(sick.problems.join('\n'), /webhook: HTTP 401 bad_signature: .*WEBHOOK_SECRET/);
    assert.equal(receiver.messages().length, 0);
  } finally {
    await running.stop();
    await receiver.stop();
  }

  const slow = new Receiver(SECRET);
  let answer: () => void = () => {};
  slow.respond = () => new Promise((resolve) => (answer = () => resolve({ status: 200, body: { ok: true } })));
  const waiting = await startService({ WEBHOOK_URL: await slow.start(), WEBHOOK_TIMEOUT_MS: '20000' });
  try {
    const unconfirmed = await health(waiting.url);
    assert.equal(unconfirmed.ok, false);
    assert.equal(unconfirmed.webhook.state, 'unconfirmed');
    assert.match(unconfirmed.problems.join('\n'), /webhook: not yet confirmed/);
    answer();
    await waitFor(async () => (await health(waiting.url)).ok === true, 'confirmed by the hello');
  } finally {
    answer();
    await waiting.stop();
    await slow.stop();
  }
});

test('a hello follows every reconnect to WhatsApp; one that fails is tried again until it reaches the plugin', async () => {
  const receiver = new Receiver(SECRET);
  let down = true;
  receiver.respond = () => (down ? { status: 503 } : { status: 200, body: { ok: true } });
  const running = await startService({ WEBHOOK_URL: await receiver.start() }, { tuning: { helloBackoff: { baseMs: 50, maxMs: 100 } } });
  const hellos = () => receiver.received.filter((r) => r.event.event === 'hello');
  try {
    await waitFor(() => hellos().length >= 3, 'hellos repeated while the plugin fails');
    down = false;
    await waitFor(async () => (await health(running.url)).ok, 'confirmed');
    const before = hellos().length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(hellos().length, before, 'no more hellos once confirmed');

    playConnection(running, 'reconnecting');
    playConnection(running, 'connected');
    await waitFor(() => hellos().length === before + 1, 'a hello after the reconnect');
    assert.equal(hellos().at(-1)!.event.hello.connection, 'connected');
    assert.equal(hellos().at(-1)!.event.hello.transport, 'sandbox');
  } finally {
    await running.stop();
    await receiver.stop();
  }
});

test('dead letters make /health 503 with the commands that replay or drop them; dropped, it is healthy again', async () => {
  const receiver = new Receiver(SECRET);
  receiver.respond = (r) => (r.event.message?.text === 'kaputt' ? { status: 400, body: { error: { code: 'bad_request' } } } : { status: 200, body: { ok: true } });
  const running = await startService({ WEBHOOK_URL: await receiver.start() });
  try {
    await customerSays(running.url, '4915300000202', 'kaputt');
    await waitFor(async () => (await health(running.url)).queues.webhook.dead === 1, 'refused by the plugin: dead');
    const sick = await health(running.url);
    assert.equal(sick.ok, false);
    assert.match(sick.problems.join('\n'), /webhook: 1 message\(s\) the plugin refused were given up .*npm run dead-letters -- replay --all.*npm run dead-letters -- drop --all/);
    assert.equal((await api(`${running.url}/status`)).body.webhook.dead_letters, 1);
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/dead-letters.ts', 'drop', '--all'], { env: { ...process.env, ENV_FILE: '/nonexistent', DATA_DIR: running.dataDir }, encoding: 'utf8' });
    assert.match(out, /Deleted 1 of 1 dead event\(s\)/);
    assert.equal((await health(running.url)).ok, true);
  } finally {
    await running.stop();
    await receiver.stop();
  }
});

test('a hello that gets through after an outage wakes the waiting messages at once, not after their own backoff', async () => {
  const receiver = new Receiver(SECRET);
  let down = true;
  receiver.respond = () => (down ? { status: 503, body: { error: { code: 'internal' } } } : { status: 200, body: { ok: true } });
  const running = await startService({ WEBHOOK_URL: await receiver.start() }, {
    tuning: { backoff: { baseMs: 60_000, maxMs: 60_000 }, probeMs: 60_000, helloBackoff: { baseMs: 300, maxMs: 300 } },
  });
  try {
    await customerSays(running.url, '4915300000203', 'wartet');
    await waitFor(() => receiver.messages().length === 1, 'tried once');
    down = false;
    // The message's own next try is a minute away and so is the probe: only the hello can wake it.
    await waitFor(() => receiver.messages().length === 2, 'delivered after the hello got through', 5_000);
  } finally {
    await running.stop();
    await receiver.stop();
  }
});

test('an older plugin\'s JSON error without the header is still the plugin\'s: its 400 refuses one message for good', async () => {
  const receiver = new Receiver(SECRET);
  receiver.respond = (r) => (r.event.message?.text === 'kaputt'
    ? { status: 400, body: { error: { code: 'bad_request', message: 'name must be at most 128 characters' } }, unmarked: true }
    : { status: 200, body: { ok: true } });
  const running = await startService({ WEBHOOK_URL: await receiver.start() });
  try {
    await customerSays(running.url, '4915300000204', 'kaputt');
    await waitFor(async () => (await health(running.url)).queues.webhook.dead === 1, 'a dead letter, as before the header');
  } finally {
    await running.stop();
    await receiver.stop();
  }
});

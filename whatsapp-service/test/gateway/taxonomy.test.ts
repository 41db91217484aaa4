import assert from 'node:assert/strict';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { databaseFile } from '../../src/store/database.js';
import type { ConnectionStatus } from '../../src/transport/transport.js';
import { SECRET, api, customerSays, playConnection, startService } from '../helpers/service.js';
import { Receiver, waitFor } from '../helpers/receiver.js';

// A backoff far longer than any wait below: what arrives in time arrived because the target recovered, not because a timer ran out.
const SLOW_BACKOFF = { baseMs: 60_000, maxMs: 120_000 };
const health = async (url: string) => (await api(`${url}/health`, { key: null })).body;

test('configuration: a wrong secret (401) keeps every message, says so on /health, and delivers them once fixed, without a replay', async () => {
  const receiver = new Receiver('the-plugin-has-another-secret');
  const running = await startService({ WEBHOOK_URL: await receiver.start() }, { tuning: { backoff: SLOW_BACKOFF, probeMs: 100 } });
  try {
    for (const [phone, text] of [['4915300000011', 'eins'], ['4915300000011', 'zwei'], ['4915300000012', 'drei']]) await customerSays(running.url, phone!, text!);
    await waitFor(async () => (await health(running.url)).webhook.state === 'misconfigured', 'misconfigured');
    const sick = await api(`${running.url}/health`, { key: null });
    assert.equal(sick.status, 503);
    assert.equal(sick.body.ok, false);
    assert.match(sick.body.problems[0], /^webhook: HTTP 401 bad_signature: .*WEBHOOK_SECRET/);
    assert.equal(sick.body.queues.webhook.dead, 0, 'nothing dead-lettered');
    assert.match((await api(`${running.url}/status`)).body.webhook.problem, /WEBHOOK_SECRET/);
    const attempts = receiver.received.length;
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.ok(receiver.received.length > attempts, 'still trying while misconfigured');

    receiver.secret = SECRET; // the administrator fixes the plugin's secret
    const signedMessages = () => receiver.received.filter((r) => r.signatureOk && r.event.event === 'message');
    await waitFor(() => signedMessages().length === 3, 'all three delivered');
    const delivered = signedMessages().map((r) => r.event.message.text);
    assert.deepEqual(delivered.filter((t) => t !== 'drei'), ['eins', 'zwei'], 'in order per chat');
    await waitFor(async () => (await health(running.url)).ok === true, 'healthy again');
    assert.equal((await health(running.url)).queues.webhook.pending, 0);
  } finally {
    await running.stop();
    await receiver.stop();
  }
});

test('configuration: 404 (missing rewrite) and 3xx (http -> https) are kept and named, never dead-lettered', async () => {
  const receiver = new Receiver(SECRET);
  let answer: { status: number; body?: unknown; headers?: Record<string, string> } = { status: 404 };
  receiver.respond = () => answer;
  const running = await startService({ WEBHOOK_URL: await receiver.start() }, { tuning: { backoff: SLOW_BACKOFF, probeMs: 100 } });
  try {
    await customerSays(running.url, '4915300000021', 'Hallo');
    await waitFor(async () => /HTTP 404.*points nowhere/.test((await health(running.url)).webhook.problem ?? ''), '404 named');
    answer = { status: 301, headers: { Location: 'https://support.example.com/api/whatsapp/webhook.php' } };
    await waitFor(async () => /HTTP 301.*redirects to https:\/\/support\.example\.com/.test((await health(running.url)).webhook.problem ?? ''), 'redirect named');
    assert.equal((await health(running.url)).queues.webhook.dead, 0);
    answer = { status: 200, body: { ok: true } };
    await waitFor(async () => (await health(running.url)).queues.webhook.pending === 0, 'delivered once fixed');
    assert.equal(receiver.messages().filter((m) => m.text === 'Hallo').length >= 3, true, 'the same message, retried');
  } finally {
    await running.stop();
    await receiver.stop();
  }
});

test('final: a 422 for one message fails it with the reason, and the next message of that chat goes at once', async () => {
  const receiver = new Receiver(SECRET);
  receiver.respond = (r) => (r.event.message?.text === 'kaputt' ? { status: 422, body: { error: { code: 'invalid_content' } } } : { status: 200, body: { ok: true } });
  const running = await startService({ WEBHOOK_URL: await receiver.start() }, { tuning: { backoff: SLOW_BACKOFF } });
  try {
    await customerSays(running.url, '4915300000031', 'kaputt');
    await customerSays(running.url, '4915300000031', 'danach');
    await waitFor(() => receiver.messages().some((m) => m.text === 'danach'), 'the next message');
    assert.deepEqual(receiver.messages().map((m) => m.text), ['kaputt', 'danach'], 'one attempt, then the next');
    const state = await health(running.url);
    assert.equal(state.queues.webhook.dead, 1);
    assert.equal(state.webhook.state, 'ok', 'a refusal is an answer from a working plugin');
  } finally {
    await running.stop();
    await receiver.stop();
  }
});

test('retry: after an outage every waiting chat is woken by the first success, not by its own backoff', async () => {
  const receiver = new Receiver(SECRET);
  let down = true;
  receiver.respond = () => (down ? { status: 503 } : { status: 200, body: { ok: true } });
  const running = await startService({ WEBHOOK_URL: await receiver.start(), DELIVERY_CONCURRENCY: '4' }, { tuning: { backoff: SLOW_BACKOFF, probeMs: 200 } });
  try {
    const chats = Array.from({ length: 12 }, (_, i) => `49153000004${String(i).padStart(2, '0')}`);
    for (let round = 0; round < 3; round++) for (const chat of chats) await customerSays(running.url, chat, `${chat}-${round}`);
    await waitFor(async () => (await health(running.url)).webhook.state === 'failing', 'failing');
    await waitFor(() => new Set(receiver.messages().map((m) => m.chat)).size === chats.length, 'every chat tried once');
    down = false;
    // Each chat's own next attempt is a minute away; only the target's recovery can deliver them now.
    await waitFor(async () => (await health(running.url)).queues.webhook.pending === 0, 'all 36 delivered', 10_000);
    for (const chat of chats) {
      const texts = receiver.messages().filter((m) => m.chat === chat).map((m) => m.text);
      const delivered = texts.slice(texts.lastIndexOf(`${chat}-0`));
      assert.deepEqual(delivered, [`${chat}-0`, `${chat}-1`, `${chat}-2`], `chat ${chat} in order, each once after recovery`);
    }
  } finally {
    await running.stop();
    await receiver.stop();
  }
});

test('first run without WEBHOOK_URL: the service starts, keeps messages and says what is missing', async () => {
  const running = await startService({ WEBHOOK_URL: '' });
  try {
    await customerSays(running.url, '4915300000051', 'vor der Einrichtung');
    const state = await health(running.url);
    assert.equal(state.ok, false);
    assert.match(state.problems[0], /WEBHOOK_URL is not set/);
    assert.equal(state.queues.webhook.pending, 1);
    assert.equal(state.queues.webhook.dead, 0);
  } finally {
    await running.stop();
  }
});

test('storage: when an inbound message cannot be stored, /health says so loudly until storing works again', async () => {
  const running = await startService({ WEBHOOK_URL: 'http://127.0.0.1:9/unused' });
  // A real SQLite failure on the real file: another connection makes every insert abort.
  const saboteur = new Database(databaseFile(running.dataDir));
  try {
    saboteur.exec(`CREATE TRIGGER fail_inserts BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;`);
    const refused = await customerSays(running.url, '4915300000061', 'geht verloren?');
    assert.equal(refused.status, 500, 'the sandbox customer is told it was not taken');
    const state = await api(`${running.url}/health`, { key: null });
    assert.equal(state.status, 503);
    assert.match(state.body.problems.join(' '), /storage: inbound messages cannot be stored \(database or disk is full\)/);

    saboteur.exec('DROP TRIGGER fail_inserts');
    assert.equal((await customerSays(running.url, '4915300000061', 'wieder da')).status, 202);
    assert.equal((await health(running.url)).problems.some((p: string) => p.startsWith('storage')), false);
  } finally {
    saboteur.close();
    await running.stop();
  }
});

test('storage: when a delivery result cannot be written, /health says so and the plugin is asked again slowly, not in a loop', async () => {
  const receiver = new Receiver(SECRET);
  const running = await startService({ WEBHOOK_URL: await receiver.start() });
  const saboteur = new Database(databaseFile(running.dataDir));
  try {
    saboteur.exec(`CREATE TRIGGER fail_results BEFORE UPDATE OF state ON events WHEN NEW.state = 'delivered' BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END;`);
    await customerSays(running.url, '4915300000071', 'Ergebnis geht nicht zu speichern');
    await waitFor(async () => (await health(running.url)).problems.some((p: string) => /storage: delivery results cannot be stored \(database or disk is full\)/.test(p)), 'named on /health');
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    // The first retry comes after 1 to 2 s (the webhook's own backoff here is 20 ms): not a loop.
    assert.ok(receiver.messages().length <= 2, `posted ${receiver.messages().length} times in 1.5 s while the disk is full`);

    saboteur.exec('DROP TRIGGER fail_results');
    await waitFor(async () => (await health(running.url)).queues.webhook.pending === 0, 'recorded once the disk has room', 10_000);
    assert.equal((await health(running.url)).ok, true);
    assert.ok(receiver.messages().every((m) => m.text === 'Ergebnis geht nicht zu speichern'), 'the plugin saw the same message again; its message id makes that harmless');
  } finally {
    saboteur.close();
    await running.stop();
    await receiver.stop();
  }
});

test('whatsapp: logged out, banned, replaced or a scan awaited too long make /health 503 with what to do; a fresh QR code does not', async () => {
  const receiver = new Receiver(SECRET);
  const running = await startService({ WEBHOOK_URL: await receiver.start() });
  const become = (status: ConnectionStatus, since?: string) => playConnection(running, status, since);
  try {
    assert.equal((await api(`${running.url}/health`, { key: null })).status, 200);
    for (const [status, problem] of [['logged_out', /whatsapp: logged out from the phone: scan the new QR code/], ['banned', /whatsapp: WhatsApp refused this number/], ['replaced', /whatsapp: another WhatsApp Web session took over/]] as const) {
      become(status);
      const sick = await api(`${running.url}/health`, { key: null });
      assert.equal(sick.status, 503, status);
      assert.match(sick.body.problems.join(' '), problem);
    }
    become('waiting_for_scan');
    assert.equal((await api(`${running.url}/health`, { key: null })).status, 200, 'a QR code shown a moment ago is not yet a problem');
    become('waiting_for_scan', new Date(Date.now() - 6 * 60_000).toISOString());
    const waiting = await api(`${running.url}/health`, { key: null });
    assert.equal(waiting.status, 503);
    assert.match(waiting.body.problems.join(' '), /whatsapp: waiting for a QR code scan since/);
    become('connected');
    assert.equal((await api(`${running.url}/health`, { key: null })).status, 200);
  } finally {
    await running.stop();
    await receiver.stop();
  }
});

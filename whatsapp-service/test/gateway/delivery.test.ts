import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SECRET, api, customerSays, startService, type RunningService } from '../helpers/service.js';
import { fileReceiver, waitFor } from '../helpers/receiver.js';

const receiver = fileReceiver(SECRET);

async function withService(run: (s: RunningService) => Promise<void>, env: Record<string, string> = {}): Promise<void> {
  receiver.received.length = 0;
  const service = await startService({ WEBHOOK_URL: receiver.url, DELIVERY_CONCURRENCY: '4', ...env });
  try {
    await run(service);
  } finally {
    await service.stop();
  }
}

test('receiver answers 503 for a while, then 200: every message arrives exactly once, in order per chat', async () => {
  let failuresLeft = 25;
  receiver.respond = () => (failuresLeft-- > 0 ? { status: 503 } : { status: 200, body: { ok: true, replies: [] } });
  await withService(async ({ url }) => {
    const chats = ['4915100000001', '4915100000002', '4915100000003'];
    const sent: string[] = [];
    for (let i = 0; i < 10; i++) {
      for (const chat of chats) {
        const { body } = await customerSays(url, chat, `message ${i}`);
        sent.push(body.id);
      }
    }
    const acked = () => receiver.received.filter((r, index) => index >= 25 && r.event.event === 'message');
    await waitFor(() => acked().length >= 30, 'all 30 messages acknowledged');
    await new Promise((resolve) => setTimeout(resolve, 300)); // nothing more may come

    const delivered = acked().map((r) => r.event.message);
    assert.equal(delivered.length, 30, 'no message acknowledged twice');
    assert.deepEqual(new Set(delivered.map((m) => m.id)), new Set(sent));
    for (const chat of chats) {
      assert.deepEqual(
        delivered.filter((m) => m.chat === chat).map((m) => m.text),
        Array.from({ length: 10 }, (_, i) => `message ${i}`),
        `chat ${chat} in order`,
      );
    }
    assert.ok(receiver.received.every((r) => r.signatureOk), 'every request signed');
    const health = await api(`${url}/health`, { key: null });
    assert.equal(health.body.queues.webhook.pending, 0);
  });
});

test('a chat waits for its own failing message while other chats go on', async () => {
  receiver.respond = (r) => (r.event.message?.chat === '4915100000009' && r.event.message.text === 'first' && attempts++ < 5 ? { status: 500 } : { status: 200, body: { ok: true } });
  let attempts = 0;
  await withService(async ({ url }) => {
    await customerSays(url, '4915100000009', 'first');
    await customerSays(url, '4915100000009', 'second');
    await customerSays(url, '4915100000010', 'other chat');
    await waitFor(() => receiver.messages().some((m) => m.text === 'second'), 'second delivered');
    const order = receiver.messages().map((m) => m.text);
    assert.ok(order.indexOf('other chat') < order.lastIndexOf('first'), 'the other chat was not held up');
    assert.ok(order.lastIndexOf('first') < order.indexOf('second'), 'second only after first succeeded');
    assert.equal(order.filter((t) => t === 'second').length, 1);
  });
});

test('a redelivered WhatsApp message is stored and delivered once', async () => {
  receiver.respond = () => ({ status: 200, body: { ok: true } });
  await withService(async ({ url }) => {
    for (let i = 0; i < 3; i++) await customerSays(url, '4915100000004', 'same', { id: 'WAID-DUPLICATE-1' });
    await waitFor(() => receiver.messages().length === 1, 'one delivery');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(receiver.messages().length, 1);
  });
});

test('a final 4xx moves the event to the dead-letter list with its reason, and the chat goes on', async () => {
  receiver.respond = (r) => (r.event.message?.text === 'poison' ? { status: 422, body: { error: { code: 'bad_request' } } } : { status: 200, body: { ok: true } });
  await withService(async ({ url, service }) => {
    await customerSays(url, '4915100000005', 'poison');
    await customerSays(url, '4915100000005', 'fine');
    await waitFor(() => receiver.messages().some((m) => m.text === 'fine'), 'the next message');
    assert.equal(receiver.messages().filter((m) => m.text === 'poison').length, 1, 'not retried');
    const health = await api(`${url}/health`, { key: null });
    assert.equal(health.body.queues.webhook.dead, 1);
    assert.equal(service.gateway.queueDepths().events.dead, 1);
  });
});

test('replies in the answer are sent once, in order, and their delivery is reported back as status events', async () => {
  receiver.respond = (r) =>
    r.event.event === 'message'
      ? { status: 200, body: { ok: true, replies: [{ text: `Ticket #1 für ${r.event.message.text}`, key: 'confirm:1' }, { text: 'zweite Antwort' }] } }
      : { status: 200, body: { ok: true } };
  await withService(async ({ url }) => {
    const { body } = await customerSays(url, '4915100000006', 'Drucker 🖨️');
    const outbound = async () => (await api(`${url}/sandbox/outbound?phone=4915100000006`)).body.messages as Array<{ text: string }>;
    await waitFor(async () => (await outbound()).length === 2, 'two replies sent');
    assert.deepEqual((await outbound()).map((m) => m.text), ['Ticket #1 für Drucker 🖨️', 'zweite Antwort']);
    await waitFor(() => receiver.statuses().filter((s) => s.state === 'delivered').length === 2, 'delivered reports');
    const statuses = receiver.statuses();
    assert.deepEqual(
      statuses.filter((s) => s.key === 'confirm:1').map((s) => s.state),
      ['sent', 'delivered'],
    );
    assert.deepEqual(statuses.filter((s) => s.key === `reply:${body.id}:1`).map((s) => s.state), ['sent', 'delivered']);
    await api(`${url}/sandbox/outbound?phone=4915100000006&read=1`);
    await waitFor(() => receiver.statuses().filter((s) => s.state === 'read').length === 2, 'read reports');
  });
});

test('/send queues once per idempotency key and reports the outcome', async () => {
  receiver.respond = () => ({ status: 200, body: { ok: true } });
  await withService(async ({ url }) => {
    const request = { method: 'POST', body: JSON.stringify({ phone: '+49 170 1111111', message: 'Antwort 😀', key: 'entry:77' }) };
    const first = await api(`${url}/send-secure`, request);
    const again = await api(`${url}/send-secure`, request);
    assert.equal(first.status, 202);
    assert.equal(again.status, 200);
    assert.equal(again.body.id, first.body.id);
    await waitFor(() => receiver.statuses().some((s) => s.key === 'entry:77' && s.state === 'delivered'), 'delivered');
    const sent = (await api(`${url}/sandbox/outbound?phone=491701111111`)).body.messages;
    assert.deepEqual(sent.map((m: { text: string }) => m.text), ['Antwort 😀']);
    const viaHeader = await api(`${url}/send`, {
      method: 'POST', headers: { 'Idempotency-Key': 'entry:77' }, body: JSON.stringify({ phone: '491701111111', message: 'other text' }),
    });
    assert.equal(viaHeader.body.id, first.body.id, 'the header key is honoured too');
  });
});

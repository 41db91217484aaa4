import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { test } from 'node:test';
import { initialState, SendError, type OutboundMedia, type SendResult, type Transport, type TransportHandlers } from '../../src/transport/transport.js';
import { outboundMessageId } from '../../src/outbound/message-id.js';
import { SECRET, api, startService } from '../helpers/service.js';
import { Receiver, waitFor } from '../helpers/receiver.js';

/** A transport whose connection and failures the test controls. */
class ScriptedTransport implements Transport {
  readonly name = 'scripted';
  handlers!: TransportHandlers;
  readonly sends: Array<{ chat: string; text: string; at: number }> = [];
  failures: Array<SendError | Error> = [];
  /** How many times sending a file fails before it goes through. */
  fileFailures = 0;

  async start(handlers: TransportHandlers): Promise<void> {
    this.handlers = handlers;
    handlers.state(initialState('waiting_for_scan'));
  }
  connect(): void {
    this.handlers.state({ ...initialState('connected'), me: '49100000000' });
  }
  async send(chat: string, text: string, _messageId?: string, media?: OutboundMedia): Promise<SendResult> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    if (media && this.fileFailures-- > 0) throw new SendError('upload timed out', 'timeout', true);
    this.sends.push({ chat, text, at: Date.now() });
    return { whatsappId: `OUT-${this.sends.length}` };
  }
  async stop(): Promise<void> {}
}

async function setUp(env: Record<string, string> = {}) {
  const receiver = new Receiver(SECRET);
  const transport = new ScriptedTransport();
  const running = await startService({ WEBHOOK_URL: await receiver.start(), ...env }, { transport: () => transport });
  const send = (key: string, message = `text ${key}`) =>
    api(`${running.url}/send-secure`, { method: 'POST', body: JSON.stringify({ phone: '4917000000001', message, key }) });
  return { receiver, transport, running, send, async close() { await running.stop(); await receiver.stop(); } };
}

test('messages wait while WhatsApp is not connected and go out, in order, once it is', async () => {
  const t = await setUp();
  try {
    for (const key of ['a', 'b', 'c']) assert.equal((await t.send(key)).status, 202);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(t.transport.sends.length, 0);
    assert.equal((await api(`${t.running.url}/health`, { key: null })).body.queues.outbox.queued, 3);
    t.transport.connect();
    await waitFor(() => t.transport.sends.length === 3, 'three sent');
    assert.deepEqual(t.transport.sends.map((s) => s.text), ['text a', 'text b', 'text c']);
  } finally {
    await t.close();
  }
});

test('a passing failure is retried and the message sent once; a final one is reported as failed', async () => {
  const t = await setUp();
  try {
    t.transport.connect();
    t.transport.failures = [new SendError('socket closed', 'not_connected', true), new Error('timeout')];
    await t.send('retry-me');
    await waitFor(() => t.transport.sends.length === 1, 'sent after retries');
    await waitFor(() => t.receiver.statuses().some((s) => s.key === 'retry-me'), 'status reported');
    assert.deepEqual(t.receiver.statuses().filter((s) => s.key === 'retry-me').map((s) => [s.state, s.whatsapp_id]), [['sent', 'OUT-1']]);

    t.transport.failures = [new SendError('recipient is not on WhatsApp', 'not_on_whatsapp', false)];
    await t.send('hopeless');
    await waitFor(() => t.receiver.statuses().some((s) => s.key === 'hopeless'), 'failure reported');
    const failed = t.receiver.statuses().find((s) => s.key === 'hopeless');
    assert.equal(failed.state, 'failed');
    assert.equal(failed.error, 'recipient is not on WhatsApp');
    assert.equal(t.transport.sends.length, 1, 'never tried again');
    assert.equal((await api(`${t.running.url}/health`, { key: null })).body.queues.outbox.failed, 1);
  } finally {
    await t.close();
  }
});

test('sending is paced by SEND_INTERVAL_MS, also when many messages are queued at once', async () => {
  const t = await setUp({ SEND_INTERVAL_MS: '150' });
  try {
    t.transport.connect();
    await Promise.all(['1', '2', '3', '4'].map((key) => t.send(key)));
    await waitFor(() => t.transport.sends.length === 4, 'four sent', 5_000);
    const gaps = t.transport.sends.slice(1).map((s, i) => s.at - t.transport.sends[i]!.at);
    for (const gap of gaps) assert.ok(gap >= 145, `gap of ${gap} ms`);
  } finally {
    await t.close();
  }
});

test('receipts only move a message forward and are reported once each', async () => {
  const t = await setUp();
  try {
    t.transport.connect();
    await t.send('receipts');
    await waitFor(() => t.transport.sends.length === 1, 'sent');
    for (const state of ['read', 'delivered', 'read', 'sent'] as const) t.transport.handlers.receipt({ whatsappId: 'OUT-1', state });
    t.transport.handlers.receipt({ whatsappId: 'UNKNOWN', state: 'read' });
    await waitFor(() => t.receiver.statuses().filter((s) => s.key === 'receipts').length >= 2, 'reports');
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(t.receiver.statuses().filter((s) => s.key === 'receipts').map((s) => s.state), ['sent', 'read']);
  } finally {
    await t.close();
  }
});

test('a message older than DELIVERY_MAX_AGE_HOURS fails while WhatsApp is still not connected', async () => {
  const receiver = new Receiver(SECRET);
  const transport = new ScriptedTransport();
  const env = { WEBHOOK_URL: await receiver.start(), DELIVERY_MAX_AGE_HOURS: '1' };
  let running = await startService(env, { transport: () => transport });
  try {
    const body = JSON.stringify({ phone: '4917000000001', message: 'queued during a logout', key: 'old' });
    assert.equal((await api(`${running.url}/send-secure`, { method: 'POST', body })).status, 202);
    await running.stop({ keepData: true });
    // Two hours pass while the phone is logged out.
    const db = new Database(path.join(running.dataDir, 'whatsapp-service.sqlite'));
    db.prepare('UPDATE outbox SET created_at = created_at - ?').run(2 * 3_600_000);
    db.close();
    running = await startService(env, { dataDir: running.dataDir, transport: () => transport });
    await waitFor(() => receiver.statuses().some((s) => s.key === 'old'), 'failure reported without a connection');
    const status = receiver.statuses().find((s) => s.key === 'old');
    assert.equal(status.state, 'failed');
    assert.match(status.error, /not sent within 1 hours: WhatsApp was not connected/);
    transport.connect();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(transport.sends.length, 0, 'never sent once WhatsApp is back');
  } finally {
    await running.stop();
    await receiver.stop();
  }
});

test('a file that keeps failing does not hold back the replies written after it', async () => {
  const t = await setUp();
  try {
    // The file's upload fails over and over (a slow uplink, a flaky network); the texts after it go out.
    t.transport.fileFailures = 4;
    const file = { filename: 'scan.pdf', mimetype: 'application/pdf', data: Buffer.from('%PDF-1.4 scan').toString('base64') };
    const body = JSON.stringify({ phone: '4917000000001', message: 'the scan', key: 'file', media: file });
    assert.equal((await api(`${t.running.url}/send-secure`, { method: 'POST', body })).status, 202);
    await t.send('after-1');
    await t.send('after-2');
    t.transport.connect();
    await waitFor(() => t.transport.sends.length === 3, 'texts and then the file sent', 5_000);
    assert.deepEqual(t.transport.sends.map((s) => s.text), ['text after-1', 'text after-2', 'the scan']);
  } finally {
    await t.close();
  }
});

test('a receipt for a message whose send never settled (it did go out) finds it by its derived id, and it is not sent again', async () => {
  const t = await setUp();
  try {
    t.transport.connect();
    let settle!: (result: SendResult) => void;
    t.transport.send = () => new Promise<SendResult>((resolve) => (settle = resolve));
    await t.send('stalled');
    await waitFor(() => settle !== undefined, 'attempted');
    const id = outboundMessageId(1, 'stalled');
    t.transport.handlers.receipt({ whatsappId: id, state: 'delivered' });
    await waitFor(() => t.receiver.statuses().some((s) => s.key === 'stalled' && s.state === 'delivered'), 'the receipt counted');
    assert.equal(t.running.service.gateway.sentMessage(id)?.text, 'text stalled', 'a retry request can be answered');
    settle({ whatsappId: id });
  } finally {
    await t.close();
  }
});

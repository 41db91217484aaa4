import assert from 'node:assert/strict';
import { test } from 'node:test';
import { outboundMessageId } from '../../../src/outbound/message-id.js';
import { SECRET, api } from '../../helpers/service.js';
import { fileReceiver, waitFor } from '../../helpers/receiver.js';
import { boom, serverLid, waMessage } from './fake-socket.js';
import { connectedHarness, startHarness, untilConnected, type Harness } from './harness.js';

const receiver = fileReceiver(SECRET);

async function connected(options: Parameters<typeof startHarness>[1] = {}): Promise<Harness> {
  receiver.received.length = 0;
  return connectedHarness(receiver.url, options);
}
const status = async (h: Harness) => (await api(`${h.running.url}/status`)).body;
const send = (h: Harness, phone: string, key: string, message = `Antwort ${key}`) =>
  api(`${h.running.url}/send-secure`, { method: 'POST', body: JSON.stringify({ phone, message, key }) });
const reports = (key: string) => receiver.statuses().filter((s) => s.key === key).map((s) => [s.state, s.error]);

test('428 "Connection Closed" thrown during a send is retried and the message sent once, under the same id', async () => {
  const h = await connected();
  try {
    const s = h.socket();
    s.sendFailures = [boom('Connection Closed', 428), boom('Timed Out', 408)];
    await send(h, '4917011111111', 'blip');
    await waitFor(() => s.sent.length === 1, 'sent after the blip', 15_000);
    assert.equal(s.sent[0]!.id, outboundMessageId(1, 'blip'));
    await waitFor(() => reports('blip').length === 1, 'reported');
    assert.deepEqual(reports('blip'), [['sent', null]], 'never reported failed');
  } finally {
    await h.close();
  }
});

test('a phone whose LID WhatsApp knows is addressed by its LID; mapping pairs are validated in either order', async () => {
  const h = await connected();
  try {
    const s = h.socket();
    s.storeMapping('222222222222222@lid', '4917022222222@s.whatsapp.net');
    await send(h, '+49 170 22222222', 'lid');
    await waitFor(() => s.sent.length === 1, 'sent');
    assert.equal(s.sent[0]!.jid, '222222222222222@lid', 'a migrated contact gets it at its LID, not at <phone>@s.whatsapp.net (acked 463 there)');

    // Learned from lid-mapping.update: swapped sides are read right, nonsense is not stored
    // (the phone then gets the LID the server has for it).
    s.accounts.set('4917033333333', '333333333333333');
    s.ev.emit('lid-mapping.update', { lid: '4917033333333@s.whatsapp.net', pn: '333333333333333@lid' });
    s.ev.emit('lid-mapping.update', { lid: '4917044444444@s.whatsapp.net', pn: '4917055555555@s.whatsapp.net' });
    await send(h, '4917033333333', 'swapped');
    await send(h, '4917044444444', 'nonsense');
    await waitFor(() => s.sent.length === 3, 'both sent');
    assert.deepEqual(s.sent.slice(1).map((m) => m.jid), ['333333333333333@lid', `${serverLid('4917044444444')}@lid`]);
    assert.ok(h.logs.some((line) => /not a LID\/phone pair/.test(line)));
  } finally {
    await h.close();
  }
});

test('a send that never settles restarts the socket and is sent on the new one with the same id', async () => {
  const h = await connected({ sendTimeoutMs: 300 });
  try {
    const stuck = h.socket();
    stuck.stallNextSend = true;
    await send(h, '4917066666666', 'stall');
    await waitFor(() => h.sockets.length === 2, 'a new socket after the stall');
    assert.equal(stuck.ended, true, 'the stuck socket was left');
    h.socket().open();
    await waitFor(() => h.socket().sent.length === 1, 'sent on the new socket', 15_000);
    assert.equal(h.socket().sent[0]!.id, outboundMessageId(1, 'stall'), 'a resend is the same WhatsApp message');
    assert.ok(h.logs.some((line) => /WhatsApp connection stuck; reconnecting/.test(line)));
  } finally {
    await h.close();
  }
});

test("WhatsApp's refusal (bad ack 463) reaches the plugin as failed with the code; not on WhatsApp fails at once and the chat goes on", async () => {
  const h = await connected();
  try {
    const s = h.socket();
    s.refuseNext.push('463');
    await send(h, '4917077777777', 'restricted');
    await waitFor(() => s.sent.length === 1, 'sent to the LID the server has for it');
    await waitFor(() => reports('restricted').some(([state]) => state === 'failed'), 'failed reported, not sent again (rc14: no retry for 463)');
    assert.equal(s.sent.length, 1);
    assert.match(reports('restricted').find(([state]) => state === 'failed')![1], /^WhatsApp refused the message \(463: account restricted/);

    s.onWhatsAppNumbers = new Set();
    await send(h, '4917088888888', 'nobody');
    await send(h, '4917088888888', 'nobody-2');
    await waitFor(() => reports('nobody-2').length === 1, 'second reported');
    assert.deepEqual(reports('nobody'), [['failed', 'the number is not on WhatsApp']]);
  } finally {
    await h.close();
  }
});

test('linking never stuck: expired QR codes -> GET /qr starts a fresh attempt; POST /pair while a code is shown returns it', async () => {
  receiver.received.length = 0;
  const h = await startHarness(receiver.url);
  try {
    h.socket().showQr('FIRST');
    h.socket().close(408, 'QR refs attempts ended');
    await waitFor(async () => (await status(h)).qr_available === false && (await status(h)).connection === 'waiting_for_scan', 'codes ran out');
    const asked = api(`${h.running.url}/qr?format=json`);
    await waitFor(() => h.sockets.length === 2, 'a new linking attempt');
    h.socket().showQr('FRESH');
    const fresh = await asked;
    assert.deepEqual([fresh.status, fresh.body.qr], [200, 'FRESH']);

    const first = await api(`${h.running.url}/pair`, { method: 'POST', body: JSON.stringify({ phone: '+49 30 123456' }) });
    assert.deepEqual([first.status, first.body.code], [200, 'PAIR3456']);
    const again = await api(`${h.running.url}/pair`, { method: 'POST', body: JSON.stringify({ phone: '+49 30 123456' }) });
    assert.deepEqual([again.status, again.body.code], [200, 'PAIR3456'], 'the code shown, at once');
    const bad = await api(`${h.running.url}/pair`, { method: 'POST', body: JSON.stringify({ phone: '030 123456' }) });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /DEFAULT_COUNTRY_CODE/);
  } finally {
    await h.close();
  }
});

test('limits and outdated versions are named: reach-out time lock and capping in /status, 405 as "update the service"', async () => {
  const h = await connected();
  try {
    const until = new Date(Date.now() + 3_600_000);
    h.socket().ev.emit('connection.update', { reachoutTimeLock: { isActive: true, timeEnforcementEnds: until, enforcementType: 'DEFAULT' } as never });
    h.socket().ev.emit('message-capping.update', { total_quota: 50, used_quota: 50 } as never);
    await waitFor(async () => (await status(h)).limits.capping !== null, 'limits shown');
    assert.deepEqual((await status(h)).limits, { reachout: { active: true, until: until.toISOString() }, capping: { total_quota: 50, used_quota: 50 } });

    h.socket().close(405, 'Connection Failure');
    await waitFor(async () => (await status(h)).last_disconnect?.code === 405, '405 seen');
    assert.equal((await status(h)).last_disconnect.reason, 'WhatsApp Web version outdated, update the service');
    assert.ok(h.logs.some((line) => JSON.parse(line).level === 50 && /connection lost/.test(line)), 'logged as an error');
  } finally {
    await h.close();
  }
});

test('undecryptable: a stub followed by the real message is one message; one never followed becomes a notice for the ticket', async () => {
  const h = await connected({ tuning: { unreadableWaitMs: 300 } });
  try {
    const s = h.socket();
    const phone = '4917099999999@s.whatsapp.net';
    s.deliver([waMessage({ id: 'U1', from: phone, undecryptable: true })]);
    s.deliver([waMessage({ id: 'U1', from: phone, message: { conversation: 'nach dem Retry lesbar' } })]);
    s.deliver([waMessage({ id: 'U2', from: phone, undecryptable: true })]);
    await waitFor(() => receiver.messages().length === 2, 'the real one and a notice', 5_000);
    await new Promise((resolve) => setTimeout(resolve, 700));
    assert.deepEqual(receiver.messages().map((m) => [m.id, m.type, m.text]), [
      ['U1', 'text', 'nach dem Retry lesbar'],
      ['U2:unreadable', 'unreadable', ''],
    ]);
    // The real U2 arriving late is still delivered: the notice did not take its id.
    s.deliver([waMessage({ id: 'U2', from: phone, message: { conversation: 'doch noch' } })]);
    await waitFor(() => receiver.messages().some((m) => m.id === 'U2'), 'late real message');
  } finally {
    await h.close();
  }
});

test('a first start without network says WhatsApp cannot be reached, not that a connection was lost; a later drop is a lost connection', async () => {
  receiver.received.length = 0;
  const h = await startHarness(receiver.url);
  try {
    // What Baileys reports when the WebSocket cannot open: close with 408/503 before any "open" (Socket/socket.js end()).
    h.socket().close(503, 'getaddrinfo EAI_AGAIN web.whatsapp.com');
    await waitFor(() => h.sockets.length === 2, 'tried again');
    const said = (pattern: RegExp) => h.logs.filter((line) => pattern.test(JSON.parse(line).msg ?? '')).length;
    assert.equal(said(/cannot be reached/), 1);
    assert.equal(said(/connection lost/), 0);
    h.socket().open();
    await untilConnected(h);
    h.socket().close(428, 'Connection Closed');
    await waitFor(() => said(/connection lost/) === 1, 'a real loss is named as one');
  } finally {
    await h.close();
  }
});

test('the three ways rc14 fails to decrypt: a retried Bad MAC and a "Message absent" placeholder are held for the real one; a nack upserts nothing and the resend is taken', async () => {
  const h = await connected({ tuning: { unreadableWaitMs: 400 } });
  try {
    const s = h.socket();
    const phone = '4917099999990@s.whatsapp.net';
    s.undecryptable('D1', phone, 'bad-mac');
    s.undecryptable('D2', phone, 'no-message');
    s.undecryptable('D3', phone, 'missing-keys');
    s.deliver([waMessage({ id: 'D2', from: phone, message: { conversation: 'vom Telefon nachgereicht' } })]); // the placeholder resend answered
    s.deliver([waMessage({ id: 'D3', from: phone, message: { conversation: 'nochmal gesendet' } })]); // WhatsApp resent after the nack
    await waitFor(() => receiver.messages().length === 3, 'two real messages and one notice', 5_000);
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.deepEqual(receiver.messages().map((m) => [m.id, m.type]).sort(), [['D1:unreadable', 'unreadable'], ['D2', 'text'], ['D3', 'text']]);
  } finally {
    await h.close();
  }
});

test('a LID lookup that is slow or fails does not lose the send; onWhatsApp answering undefined lets the send decide', async () => {
  const h = await connected();
  try {
    const s = h.socket();
    s.latencyMs = 150; // every server round trip
    s.lidLookupFailures = 1;
    await send(h, '4917012121212', 'lookup-fails');
    await waitFor(() => s.sent.length === 1, 'sent although the LID query failed');
    assert.equal(s.sent[0]!.jid, '4917012121212@s.whatsapp.net', 'to the phone number when no LID could be had');

    s.serverKnowsLids = false;
    s.onWhatsAppAnswers = false;
    await send(h, '4917013131313', 'no-list');
    await waitFor(() => s.sent.length === 2, 'sent without a list from onWhatsApp');
    assert.equal(s.sent[1]!.jid, '4917013131313@s.whatsapp.net');
    await waitFor(() => reports('no-list').length === 1, 'reported');
    assert.deepEqual(reports('no-list'), [['sent', null]]);
    assert.equal(h.sockets.length, 1, 'slow answers are not a stuck connection');
  } finally {
    await h.close();
  }
});

test('a 10 MB file on a slow uplink is not taken for a stuck connection: sent once, no restart', async () => {
  const h = await connected({ sendTimeoutMs: 300 });
  try {
    const s = h.socket();
    s.uplinkBytesPerMs = 10_000; // 10 MB/s: the upload takes about a second, three times the bare watchdog
    const data = Buffer.alloc(10 * 1024 * 1024, 7).toString('base64');
    const sent = await api(`${h.running.url}/send-secure`, { method: 'POST', body: JSON.stringify({ phone: '4917014141414', key: 'big', media: { filename: 'scan.pdf', mimetype: 'application/pdf', data } }) });
    assert.equal(sent.status, 202);
    await waitFor(() => s.sent.length === 1, 'sent', 10_000);
    assert.equal(h.sockets.length, 1, 'the watchdog allowed for the upload');
    await waitFor(() => reports('big').length === 1, 'reported');
    assert.deepEqual(reports('big'), [['sent', null]]);
  } finally {
    await h.close();
  }
});

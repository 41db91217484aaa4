import assert from 'node:assert/strict';
import { proto } from 'baileys';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { outboundMessageId } from '../../../src/outbound/message-id.js';
import { SECRET, api } from '../../helpers/service.js';
import { Receiver, waitFor } from '../../helpers/receiver.js';
import { serverLid, waMessage } from './fake-socket.js';
import { startHarness, untilConnected, type Harness } from './harness.js';

let receiver: Receiver;
let webhookUrl: string;
before(async () => {
  receiver = new Receiver(SECRET);
  receiver.respond = () => ({ status: 200, body: { ok: true, replies: [] } });
  webhookUrl = await receiver.start();
});
after(() => receiver.stop());

const harness = (authDir?: string) => {
  receiver.received.length = 0;
  return startHarness(webhookUrl, { authDir });
};

const status = async (h: Harness) => (await api(`${h.running.url}/status`)).body;

test('linking: the QR code is served on /qr and /status; on open it logs success and shows the number', async () => {
  const h = await harness();
  try {
    assert.equal(statSync(h.authDir).mode & 0o777, 0o700, 'session folder 0700');
    assert.equal(statSync(path.join(h.authDir, 'session.sqlite')).mode & 0o777, 0o600, 'session file 0600');
    const config = h.socket().config;
    assert.equal(config.markOnlineOnConnect, false);
    assert.equal(config.syncFullHistory, false);

    h.socket().showQr('2@QRREF,abc,def');
    await waitFor(async () => (await status(h)).connection === 'waiting_for_scan', 'waiting for scan');
    assert.equal((await status(h)).qr_available, true);
    const qr = await api(`${h.running.url}/qr`);
    assert.equal(qr.status, 200);
    assert.match(qr.text, /[▀▄█]/, 'terminal QR art');
    const svg = await api(`${h.running.url}/qr?format=svg`);
    assert.match(svg.text, /^<svg/);
    assert.equal((await api(`${h.running.url}/qr?format=json`)).body.qr, '2@QRREF,abc,def');

    h.socket().open('4930123456');
    await waitFor(async () => (await status(h)).connection === 'connected', 'connected');
    assert.equal((await status(h)).me, '4930123456');
    assert.equal((await api(`${h.running.url}/qr`)).status, 404);
    assert.ok(h.logs.some((line) => JSON.parse(line).msg === 'WhatsApp connected successfully'));
  } finally {
    await h.close();
  }
});

test('inbound: what customers write reaches the webhook, normalised; what is not theirs does not', async () => {
  const h = await harness();
  try {
    const s = h.socket();
    s.open();
    const phone = '4917012345678@s.whatsapp.net';
    s.deliver([
      waMessage({ id: 'A1', from: phone, message: { conversation: 'Drucker kaputt 🖨️' } }),
      waMessage({ id: 'A2', from: phone, message: { imageMessage: { caption: 'Foto vom Fehler' } } }),
      waMessage({ id: 'A3', from: phone, message: { ephemeralMessage: { message: { extendedTextMessage: { text: 'verschwindend' } } } } }),
      waMessage({ id: 'A4', from: phone, message: { viewOnceMessageV2: { message: { videoMessage: { caption: 'einmal' } } } } }),
      waMessage({ id: 'A5', from: phone, message: { documentWithCaptionMessage: { message: { documentMessage: { caption: 'Rechnung' } } } } }),
      waMessage({ id: 'X1', from: '1203630@g.us', message: { conversation: 'Gruppe' } }),
      waMessage({ id: 'X2', from: 'status@broadcast', message: { conversation: 'Status' } }),
      waMessage({ id: 'X3', from: '1203631@newsletter', message: { conversation: 'Kanal' } }),
      waMessage({ id: 'X4', from: phone, fromMe: true, message: { conversation: 'eigene' } }),
      waMessage({ id: 'X5', from: phone, message: { reactionMessage: { text: '👍', key: { id: 'A1' } } } }),
      waMessage({ id: 'A6', from: phone, message: null }), // placeholder: the real one follows under the same id
    ]);
    s.deliver([waMessage({ id: 'A6', from: phone, message: { conversation: 'nach Entschlüsselung' } })]);
    s.deliver([waMessage({ id: 'A7', from: phone, message: { conversation: 'kam offline' } })], 'append');
    s.deliver([waMessage({ id: 'A1', from: phone, message: { conversation: 'Drucker kaputt 🖨️' } })]); // redelivery
    s.deliver([waMessage({ id: 'E1', from: phone, message: { protocolMessage: { type: 14, key: { id: 'A1' }, editedMessage: { conversation: 'Drucker defekt' } } } })]);

    await waitFor(() => receiver.messages().length >= 8, 'eight messages');
    await new Promise((resolve) => setTimeout(resolve, 150));
    const got = receiver.messages();
    assert.deepEqual(
      got.map((m) => [m.id, m.type, m.text, m.edited]),
      [
        ['A1', 'text', 'Drucker kaputt 🖨️', false],
        ['A2', 'image', 'Foto vom Fehler', false],
        ['A3', 'text', 'verschwindend', false],
        ['A4', 'video', 'einmal', false],
        ['A5', 'document', 'Rechnung', false],
        ['A6', 'text', 'nach Entschlüsselung', false],
        ['A7', 'text', 'kam offline', false],
        ['A1:edit:E1', 'edit', 'Drucker defekt', true],
      ],
    );
    assert.ok(got.every((m) => m.chat === '4917012345678' && m.phone === '4917012345678' && m.name === 'Max Mustermann'));
    assert.ok(!h.logs.some((line) => line.includes('Drucker') && JSON.parse(line).level >= 30), 'no message text at info level');
  } finally {
    await h.close();
  }
});

test('LID senders: resolved by the alternate JID or the mapping store; unknown ones keep a stable lid: chat', async () => {
  const h = await harness();
  try {
    const s = h.socket();
    s.open();
    s.storeMapping('222222222222222@lid', '4916022222222@s.whatsapp.net');
    s.deliver([
      waMessage({ id: 'L1', from: '111111111111111@lid', alt: '4916011111111@s.whatsapp.net' }),
      waMessage({ id: 'L2', from: '222222222222222@lid' }),
      waMessage({ id: 'L3', from: '333333333333333@lid' }),
    ]);
    await waitFor(() => receiver.messages().length === 3, 'three');
    const byId = Object.fromEntries(receiver.messages().map((m) => [m.id, [m.chat, m.phone]]));
    assert.deepEqual(byId, {
      L1: ['4916011111111', '4916011111111'],
      L2: ['4916022222222', '4916022222222'],
      L3: ['lid:333333333333333', null],
    });

    // The number of the third contact becomes known: its chat id stays, so its ticket does too.
    s.ev.emit('lid-mapping.update', { lid: '333333333333333@lid', pn: '4916033333333@s.whatsapp.net' });
    s.deliver([waMessage({ id: 'L4', from: '333333333333333@lid' }), waMessage({ id: 'L5', from: '111111111111111@lid' })]);
    await waitFor(() => receiver.messages().length === 5, 'five');
    const later = Object.fromEntries(receiver.messages().slice(3).map((m) => [m.id, [m.chat, m.phone]]));
    assert.deepEqual(later, { L4: ['lid:333333333333333', '4916033333333'], L5: ['4916011111111', '4916011111111'] });

    // Replies to an unresolved contact go to its LID.
    const sent = await api(`${h.running.url}/send`, { method: 'POST', body: JSON.stringify({ phone: 'lid:333333333333333', message: 'Antwort' }) });
    assert.equal(sent.status, 202);
    await waitFor(() => s.sent.length === 1, 'sent');
    assert.equal(s.sent[0]!.jid, '333333333333333@lid');
  } finally {
    await h.close();
  }
});

test('sending: to the LID the server has for the phone, with WhatsApp ids recorded and receipts reported; numbers not on WhatsApp fail for good', async () => {
  const h = await harness();
  try {
    const s = h.socket();
    const send = (phone: string, key: string) =>
      api(`${h.running.url}/send-secure`, { method: 'POST', body: JSON.stringify({ phone, message: `Hallo ${key}`, key }) });
    await send('4917011111111', 'k1');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(s.sent.length, 0, 'nothing sent before the connection is open');
    s.open();
    await waitFor(() => s.sent.length === 1, 'sent after open');
    const id = outboundMessageId(1, 'k1');
    assert.match(id, /^3EB0[0-9A-F]{18}$/, 'shaped like a Baileys id');
    assert.deepEqual(s.sent[0], { jid: `${serverLid('4917011111111')}@lid`, text: 'Hallo k1', id, message: { extendedTextMessage: { text: 'Hallo k1' } } });
    s.receipt(id, 3);
    s.receipt(id, 4);
    await waitFor(() => receiver.statuses().filter((x) => x.key === 'k1').length === 3, 'three reports');
    assert.deepEqual(receiver.statuses().filter((x) => x.key === 'k1').map((x) => [x.state, x.whatsapp_id]), [
      ['sent', id], ['delivered', id], ['read', id],
    ]);

    // rc14's onWhatsApp leaves a number that is not on WhatsApp out of its answer.
    s.onWhatsAppNumbers = new Set(['4917011111111']);
    await send('4917022222222', 'k2');
    await waitFor(() => receiver.statuses().some((x) => x.key === 'k2'), 'failure report');
    assert.deepEqual(receiver.statuses().filter((x) => x.key === 'k2').map((x) => [x.state, x.error]), [['failed', 'the number is not on WhatsApp']]);

    // WhatsApp asks for a message again (retry receipt): answered from the outbox, as it was sent.
    assert.deepEqual(proto.Message.toObject((await s.config.getMessage!({ id })) as proto.Message), { extendedTextMessage: { text: 'Hallo k1' } });
  } finally {
    await h.close();
  }
});

test('an agent\'s file is sent again when the customer\'s phone asks, after rc14 forgot it (5 minutes, or a reconnect): the same message, media key and all', async () => {
  const h = await harness();
  try {
    h.socket().open();
    await untilConnected(h);
    const picture = Buffer.alloc(40_000, 7);
    await api(`${h.running.url}/send-secure`, { method: 'POST', body: JSON.stringify({ phone: '4917011111111', key: 'entry:9:file:3', message: 'Der Schaltplan', media: { filename: 'plan.png', mimetype: 'image/png', data: picture.toString('base64') } }) });
    await waitFor(() => h.socket().sent.length === 1, 'sent');
    const { id, message } = h.socket().sent[0]!;
    assert.ok(message.imageMessage?.mediaKey, 'rc14 relayed an uploaded picture');

    const lid = `${serverLid('4917011111111')}@lid`;
    // Ten minutes later rc14's own retry cache (5 minutes) has forgotten it: only getMessage can answer.
    h.socket().retryCache.get(id)!.at -= 10 * 60_000;
    assert.equal(await h.socket().retryRequest(id, lid), true, 'sent again ten minutes later');
    // rc14 clears its own retry cache when the socket ends (Socket/messages-send.js:982-988): after a reconnect too.
    h.socket().close(428, 'Connection Closed');
    await waitFor(() => h.sockets.length === 2, 'reconnected');
    h.socket().open();
    await untilConnected(h);
    assert.equal(await h.socket().retryRequest(id, lid), true, 'not undefined: rc14 would send nothing (Socket/messages-recv.js:1139-1158)');
    for (const again of [h.sockets[0]!.resent[0]!.message, h.socket().resent[0]!.message]) {
      assert.deepEqual(proto.Message.toObject(again as proto.Message), proto.Message.toObject(proto.Message.fromObject(message)), 'the same picture message, caption and media key included');
      assert.equal(again.imageMessage?.caption, 'Der Schaltplan');
    }
  } finally {
    await h.close();
  }
});

test('disconnects: restart at once, reconnect with backoff, and stop only when replaced or banned', async () => {
  const h = await harness();
  try {
    h.socket().open();
    h.socket().close(515, 'restart required');
    // rc14 emits "close" after its socket-end handlers ran (Socket/socket.js:491-497): a tick later, not a pause later.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(h.sockets.length, 2, 'a new socket at once after 515');
    assert.equal(h.sockets[0]!.ended, true, 'the old socket is ended');

    h.socket().open();
    h.socket().close(428);
    await waitFor(async () => (await status(h)).connection === 'reconnecting', 'reconnecting');
    const state = await status(h);
    assert.deepEqual([state.last_disconnect.code, state.last_disconnect.reason], [428, 'connection closed']);
    assert.equal((await api(`${h.running.url}/health`, { key: null })).body.last_disconnect.code, 428);
    await waitFor(() => h.sockets.length === 3, 'reconnected after the pause');
    // Old sockets no longer drive the state.
    h.sockets[0]!.open();
    assert.notEqual((await status(h)).connection, 'connected');

    for (const code of [503, 500, 408]) {
      h.socket().close(code);
      const count = h.sockets.length;
      await waitFor(() => h.sockets.length === count + 1, `reconnected after ${code}`);
    }

    h.socket().open();
    h.socket().close(440, 'conflict');
    await waitFor(async () => (await status(h)).connection === 'replaced', 'replaced');
    const count = h.sockets.length;
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(h.sockets.length, count, 'no reconnect after being replaced');
    assert.ok(h.logs.some((line) => /another WhatsApp Web session replaced this one/.test(line)));
  } finally {
    await h.close();
  }

  const banned = await harness();
  try {
    banned.socket().close(403);
    await waitFor(async () => (await status(banned)).connection === 'banned', 'banned');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(banned.sockets.length, 1);
  } finally {
    await banned.close();
  }
});

test('a number linked by QR code (rc14 never sets creds.registered for it) is linked: /pair answers 409 at once', async () => {
  const authDir = mkdtempSync(path.join(tmpdir(), 'wa-auth-'));
  const first = await harness(authDir);
  const creds = first.socket().config.auth.creds;
  // What rc14's pair-success leaves after a scan (Utils/validate-connection.js:190-195): me and account, registered still false.
  creds.me = { id: '4930123456:7@s.whatsapp.net', name: 'Support' };
  first.socket().ev.emit('creds.update', creds);
  first.socket().open();
  await first.close();

  const second = await harness(authDir);
  try {
    assert.equal(second.socket().config.auth.creds.registered, false);
    second.socket().open();
    const started = Date.now();
    const answer = await api(`${second.running.url}/pair`, { method: 'POST', body: JSON.stringify({ phone: '+49 30 123456' }) });
    assert.deepEqual([answer.status, answer.body.error.code], [409, 'already_linked']);
    assert.ok(Date.now() - started < 2_000, 'at once, not after the 30 s pairing wait');
  } finally {
    await second.close();
  }
});

test('the session survives a restart; logged out clears it and a new QR follows; expired QR codes wait for the operator', async () => {
  const authDir = mkdtempSync(path.join(tmpdir(), 'wa-auth-'));
  const first = await harness(authDir);
  const creds = first.socket().config.auth.creds;
  creds.registered = true;
  creds.me = { id: '4930123456:7@s.whatsapp.net', name: 'Support' };
  first.socket().ev.emit('creds.update', creds);
  first.socket().open();
  await first.close();

  const second = await harness(authDir);
  try {
    const restored = second.socket().config.auth.creds;
    assert.equal(restored.registered, true, 'no new scan needed');
    assert.equal(restored.me?.id, '4930123456:7@s.whatsapp.net');
    assert.deepEqual(Buffer.from(restored.noiseKey.private), Buffer.from(creds.noiseKey.private), 'keys intact');

    second.socket().open();
    second.socket().close(401, 'logged out');
    await waitFor(async () => (await status(second)).connection === 'logged_out', 'logged out');
    await waitFor(() => second.sockets.length === 2, 'a fresh socket for a new QR');
    assert.equal(second.socket().config.auth.creds.registered, false, 'credentials cleared');
    second.socket().showQr('NEW-QR');
    await waitFor(async () => (await status(second)).qr_available === true, 'new QR');

    second.socket().close(408, 'QR refs attempts ended');
    await waitFor(async () => (await status(second)).connection === 'waiting_for_scan' && !(await status(second)).qr_available, 'waiting');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(second.sockets.length, 2, 'no new codes until the operator asks');
    const pairing = api(`${second.running.url}/pair`, { method: 'POST', body: JSON.stringify({ phone: '+49 30 123456' }) });
    // The operator asked: a new socket, which asks for a pairing code once it is ready.
    await waitFor(() => second.sockets.length === 3, 'new socket');
    second.socket().showQr('READY');
    const answer = await pairing;
    assert.deepEqual([answer.status, answer.body.code], [200, 'PAIR3456']);
    assert.equal((await status(second)).pairing_code, 'PAIR3456');
  } finally {
    await second.close();
  }
});

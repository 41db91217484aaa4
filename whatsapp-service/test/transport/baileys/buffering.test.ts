import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SECRET, api } from '../../helpers/service.js';
import { fileReceiver, waitFor } from '../../helpers/receiver.js';
import { waMessage, type FakeSocket } from './fake-socket.js';
import { startHarness, untilConnected, type Harness } from './harness.js';

const receiver = fileReceiver(SECRET);

/**
 * A linked device after a reconnect, as rc14 has it: the socket buffers from its first tick
 * until WhatsApp says the offline messages are through, which it has not said yet.
 * WhatsApp has had its receipts for what the buffer holds (fake-socket.ts).
 */
async function bufferingSocket(h: Harness): Promise<FakeSocket> {
  h.socket().open(); // the first link: creds.me from now on
  await untilConnected(h);
  h.socket().close(428, 'Connection Closed');
  await waitFor(() => h.sockets.length === 2, 'reconnected');
  const socket = h.socket();
  socket.open('4930123456', { holdOffline: true });
  await untilConnected(h, 'connected again');
  return socket;
}

const offline = (prefix: string) => [1, 2, 3].map((n) => waMessage({ id: `${prefix}${n}`, from: `49170000000${n}@s.whatsapp.net`, message: { conversation: `offline ${prefix}${n}` } }));
const delivered = (prefix: string) => receiver.messages().filter((m) => m.id.startsWith(prefix)).map((m) => m.id).sort();

test('buffered messages are stored and delivered once when the connection drops (428) before WhatsApp says the offline messages are through', async () => {
  const h = await startHarness(receiver.url);
  try {
    const s = await bufferingSocket(h);
    s.deliver(offline('DROP'), 'append');
    assert.ok(s.ev.isBuffering(), 'rc14 holds them');
    assert.deepEqual(delivered('DROP'), [], 'not emitted yet');
    s.close(428, 'Connection Closed');
    await waitFor(() => delivered('DROP').length === 3, 'all three delivered');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(delivered('DROP'), ['DROP1', 'DROP2', 'DROP3'], 'each once');
  } finally {
    await h.close();
  }
});

test('while rc14 still waits for the end of the offline messages (up to 30 s), what it holds is stored within a fraction of a second: a crash then loses at most that', async () => {
  const h = await startHarness(receiver.url);
  try {
    const s = await bufferingSocket(h);
    s.deliver(offline('HOLD'), 'append');
    assert.ok(s.ev.isBuffering(), 'rc14 holds them, receipts sent');
    const started = Date.now();
    await waitFor(() => delivered('HOLD').length === 3, 'stored and delivered before WhatsApp said the offline messages are through', 2_000);
    assert.ok(Date.now() - started < 1_000);
    s.deliver(offline('MORE'), 'append'); // the catch-up goes on
    await waitFor(() => delivered('MORE').length === 3, 'the next ones too', 2_000);
    s.offlineDone();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual([...delivered('HOLD'), ...delivered('MORE')], ['HOLD1', 'HOLD2', 'HOLD3', 'MORE1', 'MORE2', 'MORE3'], 'each once');
  } finally {
    await h.close();
  }
});

test('buffered messages survive a 515 restart and a send watchdog restart', async () => {
  const h = await startHarness(receiver.url, { sendTimeoutMs: 300 });
  try {
    const s = await bufferingSocket(h);
    s.deliver(offline('RST'), 'append');
    s.close(515, 'Stream Errored (restart required)');
    await waitFor(() => delivered('RST').length === 3, 'delivered after 515');

    const next = h.socket();
    next.open('4930123456', { holdOffline: true });
    await untilConnected(h);
    next.deliver(offline('DOG'), 'append');
    next.stallNextSend = true;
    await api(`${h.running.url}/send`, { method: 'POST', body: JSON.stringify({ phone: '4917000000009', message: 'hängt', key: 'dog' }) });
    await waitFor(() => next.ended, 'the watchdog left the stuck socket', 5_000);
    await waitFor(() => delivered('DOG').length === 3, 'delivered after the watchdog restart');
  } finally {
    await h.close();
  }
});

test('SIGTERM while WhatsApp still delivers offline messages: they are stored before the socket ends, and delivered after the next start', async () => {
  const h = await startHarness('http://127.0.0.1:9/webhook-down');
  const { authDir } = h;
  const dataDir = h.running.dataDir;
  const s = await bufferingSocket(h);
  s.deliver(offline('TERM'), 'append');
  await h.close(true); // service.stop(): what SIGTERM does
  assert.ok(s.ended);
  const again = await startHarness(receiver.url, { authDir, dataDir });
  try {
    await waitFor(() => delivered('TERM').length === 3, 'delivered after the restart');
  } finally {
    await again.close();
  }
});

test('one buffered batch: album, poll, button reply, broadcast list, an edit and a deletion of buffered messages, a call and a reaction to an agent reply', async () => {
  const h = await startHarness(receiver.url);
  try {
    const customer = '4917055500001@s.whatsapp.net';
    // An agent's reply went out before the reconnect; the customer reacts to it.
    h.socket().open();
    await untilConnected(h);
    await api(`${h.running.url}/send-secure`, { method: 'POST', body: JSON.stringify({ phone: '4917055500001', message: 'Ihr Drucker ist repariert', key: 'entry:4711' }) });
    await waitFor(() => h.socket().sent.length === 1, 'reply sent');
    const reply = h.socket().sent[0]!.id;
    const s = await bufferingSocket(h);

    const original = waMessage({ id: 'ORIG', from: customer, message: { conversation: 'Drucker druckt nciht' } });
    const deleted = waMessage({ id: 'GONE', from: customer, message: { conversation: 'falsche Nummer' } });
    const broadcast = waMessage({ id: 'BCAST', from: '1700000000@broadcast', message: { conversation: 'An alle Lieferanten' } });
    broadcast.key.participant = customer;
    s.deliver([
      waMessage({ id: 'ALBUM', from: customer, message: { albumMessage: { expectedImageCount: 2 } } }),
      waMessage({ id: 'POLL', from: customer, message: { pollCreationMessageV3: { name: 'Wann passt es?', options: [{ optionName: 'Mo' }, { optionName: 'Di' }] } } }),
      waMessage({ id: 'BTN', from: customer, message: { buttonsResponseMessage: { selectedButtonId: 'b1', selectedDisplayText: 'Rückruf bitte' } } }),
      broadcast, original, deleted,
      waMessage({ id: 'REACT', from: customer, message: { reactionMessage: { key: { id: reply, fromMe: true, remoteJid: customer }, text: '👍' } } }),
      waMessage({ id: 'REACT2', from: customer, message: { reactionMessage: { key: { id: 'ORIG', fromMe: false, remoteJid: customer }, text: '😀' } } }),
    ], 'append');
    s.edit(original, 'EDIT1', 'Drucker druckt nicht', 'append');
    s.revoke(deleted, 'REVOKE1', 'append');
    s.call('CALL1', customer, 'offer');
    s.call('CALL1', customer, 'timeout');
    assert.ok(s.ev.isBuffering());
    s.offlineDone();

    await waitFor(() => receiver.messages().filter((m) => m.chat === '4917055500001').length >= 8, 'the batch delivered');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const got = receiver.messages().filter((m) => m.chat === '4917055500001').map((m) => [m.id, m.type, m.text, m.ref ?? null, m.ref_key ?? null]);
    assert.deepEqual(got.sort(), [
      ['BCAST', 'text', 'An alle Lieferanten', null, null],
      ['BTN', 'text', 'Rückruf bitte', null, null],
      ['GONE:delete', 'delete', '', 'GONE', null],
      // Baileys merged the edit into the buffered original: the ticket gets the new wording and learns it was edited.
      ['ORIG', 'text', 'Drucker druckt nicht', null, null],
      ['ORIG:edit:EDIT1', 'edit', 'Drucker druckt nicht', 'ORIG', null],
      ['POLL', 'poll', '📊 Wann passt es?\n○ Mo\n○ Di', null, null],
      ['REACT', 'reaction', '👍', reply, 'entry:4711'],
      ['call:CALL1', 'call', '', null, null],
    ].sort());
  } finally {
    await h.close();
  }
});

test('out of order, as WhatsApp may deliver: an edit before its original, live and in a buffered catch-up; both reach the plugin, the edit naming its original', async () => {
  const h = await startHarness(receiver.url);
  try {
    h.socket().open();
    await untilConnected(h);
    const customer = '4917055500077@s.whatsapp.net';
    const live = waMessage({ id: 'OOO1', from: customer, message: { conversation: 'Termin am Montag' } });
    h.socket().edit(live, 'OOOEDIT1', 'Termin am Dienstag');
    h.socket().deliver([live]);

    const s = await bufferingSocket(h);
    const held = waMessage({ id: 'OOO2', from: customer, message: { conversation: 'Rechnung 12' } });
    s.edit(held, 'OOOEDIT2', 'Rechnung 13', 'append');
    s.deliver([held], 'append');
    s.offlineDone();

    await waitFor(() => receiver.messages().filter((m) => m.id.startsWith('OOO')).length >= 4, 'all four');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const got = receiver.messages().filter((m) => m.id.startsWith('OOO')).map((m) => [m.id, m.type, m.text, m.ref ?? null]);
    assert.deepEqual(got, [
      ['OOO1:edit:OOOEDIT1', 'edit', 'Termin am Dienstag', 'OOO1'],
      ['OOO1', 'text', 'Termin am Montag', null],
      ['OOO2:edit:OOOEDIT2', 'edit', 'Rechnung 13', 'OOO2'],
      // rc14's buffer applied the held edit to the original when it came (Utils/event-buffer.js:425-441).
      ['OOO2', 'text', 'Rechnung 13', null],
    ]);
  } finally {
    await h.close();
  }
});

test('a message our code cannot read does not take the rest of rc14\'s batch with it (a throw inside flush() would abort it)', async () => {
  const h = await startHarness(receiver.url);
  try {
    const s = await bufferingSocket(h);
    const broken = waMessage({ id: 'BROKEN', from: '4917055500088@s.whatsapp.net' });
    Object.defineProperty(broken, 'message', { get: () => { throw new Error('unreadable structure'); } });
    s.deliver([broken, ...offline('AFTER')], 'append');
    s.receipt('3EB0NOTOURS', 3);
    s.offlineDone();
    await waitFor(() => delivered('AFTER').length === 3, 'the rest of the batch');
    assert.ok(h.logs.some((line) => /could not handle an inbound message/.test(line)));
  } finally {
    await h.close();
  }
});

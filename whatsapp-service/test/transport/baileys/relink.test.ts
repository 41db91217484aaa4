import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SECRET } from '../../helpers/service.js';
import { fileReceiver, waitFor } from '../../helpers/receiver.js';
import { waMessage, type FakeSocket } from './fake-socket.js';
import { connectedHarness, startHarness, untilConnected, type Harness } from './harness.js';

const receiver = fileReceiver(SECRET);

/** The phone removes the device (401) and a number is scanned again: the same, or `phone`. */
async function logOutAndRelink(h: Harness, phone?: string): Promise<FakeSocket> {
  h.socket().close(401, 'Connection Failure');
  await waitFor(() => h.sockets.length === 2, 'a new linking attempt', 5_000);
  const s = h.socket();
  s.showQr();
  s.open(phone);
  await untilConnected(h, 'relinked');
  return s;
}

const hoursAgo = (hours: number) => Math.floor(Date.now() / 1000 - hours * 3600);
const delivered = (prefix: string) => receiver.messages().filter((m) => m.id.startsWith(prefix)).map((m) => m.id);

test('relinked after a logout (401): the 3 messages customers sent meanwhile come from the history sync, in order and once; no old chat, none of ours, nothing older than DELIVERY_MAX_AGE_HOURS', async () => {
  const h = await connectedHarness(receiver.url);
  try {
    const customer = '4917020000001@s.whatsapp.net';
    const last = waMessage({ id: 'HLAST', from: customer, timestamp: hoursAgo(100), message: { conversation: 'vor dem Abmelden' } });
    h.socket().deliver([last]);
    await waitFor(() => delivered('HLAST').length === 1, 'the last message before the logout');

    const s = await logOutAndRelink(h);
    s.historySync([
      waMessage({ id: 'HOLDCHAT', from: '4917020000009@s.whatsapp.net', timestamp: hoursAgo(300), message: { conversation: 'ein alter Chat' } }),
      waMessage({ id: 'HBEFORE', from: customer, timestamp: hoursAgo(101), message: { conversation: 'schon bekannt' } }),
      last, // stored already
      waMessage({ id: 'HTOOOLD', from: customer, timestamp: hoursAgo(80), message: { conversation: 'länger als 72 Stunden her' } }),
      waMessage({ id: 'HNEW3', from: customer, timestamp: hoursAgo(1), message: { conversation: 'und jetzt?' } }),
      waMessage({ id: 'HNEW1', from: customer, timestamp: hoursAgo(30), message: { conversation: 'Drucker kaputt' } }),
      waMessage({ id: 'HOURS', from: customer, fromMe: true, timestamp: hoursAgo(20), message: { conversation: 'vom Telefon geantwortet' } }),
      waMessage({ id: 'HNEW2', from: '4917020000002@s.whatsapp.net', timestamp: hoursAgo(10), message: { conversation: 'ein neuer Kunde' } }),
    ]);
    await waitFor(() => delivered('HNEW').length === 3, 'the three missed messages');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(delivered('H'), ['HLAST', 'HNEW1', 'HNEW2', 'HNEW3'], 'in the order they were sent, each once');
    assert.deepEqual(receiver.messages().filter((m) => m.id === 'HNEW2').map((m) => [m.chat, m.text]), [['4917020000002', 'ein neuer Kunde']]);

    s.historySync([waMessage({ id: 'HNEW1', from: customer, timestamp: hoursAgo(30), message: { conversation: 'Drucker kaputt' } })]); // a second chunk repeating one
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(delivered('HNEW1').length, 1);
  } finally {
    await h.close();
  }
});

test('the import starts where the old link ended, for every chunk: a live message first, chunks in any order, another customer in the same second as the last stored message', async () => {
  const h = await connectedHarness(receiver.url);
  try {
    const customer = '4917020000011@s.whatsapp.net';
    const lastAt = hoursAgo(50);
    h.socket().deliver([waMessage({ id: 'CLAST', from: customer, timestamp: lastAt })]);
    await waitFor(() => delivered('CLAST').length === 1, 'the last message before the logout');
    const s = await logOutAndRelink(h);

    s.deliver([waMessage({ id: 'CLIVE', from: '4917020000013@s.whatsapp.net', timestamp: hoursAgo(0) })]); // before the history comes
    await waitFor(() => delivered('CLIVE').length === 1, 'live');
    s.historySync([waMessage({ id: 'CNEWA', from: customer, timestamp: hoursAgo(1) })]);
    s.historySync([
      waMessage({ id: 'CNEWB', from: '4917020000012@s.whatsapp.net', timestamp: hoursAgo(10) }), // older, in a later chunk
      waMessage({ id: 'CSAME', from: '4917020000014@s.whatsapp.net', timestamp: lastAt }), // the same second
    ]);
    await waitFor(() => delivered('CNEW').length === 2 && delivered('CSAME').length === 1, 'both chunks');
  } finally {
    await h.close();
  }
});

test('another number linked on the same folder takes nothing from before its link', async () => {
  const h = await connectedHarness(receiver.url);
  try {
    h.socket().deliver([waMessage({ id: 'ALAST', from: '4917020000021@s.whatsapp.net', timestamp: hoursAgo(50) })]);
    await waitFor(() => delivered('ALAST').length === 1, 'a message for the first number');
    const s = await logOutAndRelink(h, '4940999888777'); // another business number scanned
    s.historySync([waMessage({ id: 'AOTHER', from: '4917020000022@s.whatsapp.net', timestamp: hoursAgo(5), message: { conversation: 'ein Chat der anderen Nummer' } })]);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.deepEqual(delivered('AOTHER'), []);
  } finally {
    await h.close();
  }
});

test('a first link takes nothing from the history sync: the phone\'s chats are old conversations, not tickets', async () => {
  const h = await startHarness(receiver.url);
  try {
    h.socket().showQr();
    h.socket().open();
    await untilConnected(h);
    h.socket().historySync([waMessage({ id: 'FIRSTLINK', from: '4917020000003@s.whatsapp.net', timestamp: hoursAgo(2), message: { conversation: 'von gestern' } })]);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.deepEqual(delivered('FIRSTLINK'), []);
  } finally {
    await h.close();
  }
});

test('a first link: a live message rc14 folded into the history it still held (Utils/event-buffer.js:414-416) is delivered', async () => {
  const h = await startHarness(receiver.url);
  try {
    const s = h.socket();
    s.showQr();
    s.open();
    await untilConnected(h);
    const live = waMessage({ id: 'FOLDED', from: '4917020000007@s.whatsapp.net', timestamp: Math.floor(Date.now() / 1000) });
    s.ev.buffer(); // rc14 holds the first link's events while it syncs (Socket/chats.js:1067-1108)
    s.historySync([live]); // the phone's history already has it
    s.ev.emit('messages.upsert', { messages: [live], type: 'notify' }); // and it comes live, receipted: rc14 keeps only the history entry
    s.ev.flush();
    await waitFor(() => receiver.messages().some((m) => m.id === 'FOLDED'), 'delivered');
  } finally {
    await h.close();
  }
});

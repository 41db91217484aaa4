import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SECRET } from '../../helpers/service.js';
import { Receiver, waitFor } from '../../helpers/receiver.js';
import { waMessage } from './fake-socket.js';
import { connectedHarness, startHarness, untilConnected } from './harness.js';

let receiver: Receiver;
let webhookUrl: string;
before(async () => {
  receiver = new Receiver(SECRET);
  webhookUrl = await receiver.start();
});
after(() => receiver.stop());

const hoursAgo = (hours: number) => Math.floor(Date.now() / 1000 - hours * 3600);
const delivered = (prefix: string) => receiver.messages().filter((m) => m.id.startsWith(prefix)).map((m) => m.id);

test('relinked after a logout (401): the 3 messages customers sent meanwhile come from the history sync, in order and once; no old chat, none of ours, nothing older than DELIVERY_MAX_AGE_HOURS', async () => {
  const h = await connectedHarness(webhookUrl);
  try {
    const customer = '4917020000001@s.whatsapp.net';
    const last = waMessage({ id: 'HLAST', from: customer, timestamp: hoursAgo(100), message: { conversation: 'vor dem Abmelden' } });
    h.socket().deliver([last]);
    await waitFor(() => delivered('HLAST').length === 1, 'the last message before the logout');

    h.socket().close(401, 'Connection Failure'); // removed on the phone
    await waitFor(() => h.sockets.length === 2, 'a new linking attempt', 5_000);
    const s = h.socket();
    s.showQr();
    s.open(); // scanned again
    await untilConnected(h, 'relinked');
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

test('a first link takes nothing from the history sync: the phone\'s chats are old conversations, not tickets', async () => {
  const h = await startHarness(webhookUrl);
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

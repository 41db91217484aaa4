import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SECRET, api } from '../../helpers/service.js';
import { fileReceiver, waitFor } from '../../helpers/receiver.js';
import { waMessage } from './fake-socket.js';
import { connectedHarness, startHarness, untilConnected } from './harness.js';

const receiver = fileReceiver(SECRET);

const messages = (prefix: string) => [1, 2, 3].map((n) => waMessage({ id: `${prefix}${n}`, from: `49171000000${n}@s.whatsapp.net`, message: { conversation: `unterwegs ${n}` } }));
const delivered = (prefix: string) => [...new Set(receiver.messages().filter((m) => m.id.startsWith(prefix)).map((m) => m.id))].sort();

test('a stop while rc14 still handles messages it has receipted (receipt before upsert): they are stored and delivered after the next start', async () => {
  const h = await connectedHarness('http://127.0.0.1:9/webhook-down');
  const { authDir } = h;
  const dataDir = h.running.dataDir;
  const s = h.socket();
  s.closeHandshakeMs = 150;
  // Receipts sent; decrypting and storing in rc14 takes a moment (less than the close handshake).
  const handling = messages('STOP').map((message) => s.receive(message, { processingMs: 50 }));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(s.receipted, ['STOP1', 'STOP2', 'STOP3']);
  await h.close(true); // service.stop(): what SIGTERM does
  await Promise.all(handling);
  assert.ok(s.ended);
  assert.equal(await s.receive(messages('LATE')[0]!), false, 'nothing is received (or receipted) once the socket is ending');

  const again = await startHarness(receiver.url, { authDir, dataDir });
  try {
    again.socket().open();
    await untilConnected(again);
    await waitFor(() => delivered('STOP').length === 3, 'delivered after the restart');
    assert.deepEqual(delivered('STOP'), ['STOP1', 'STOP2', 'STOP3']);
  } finally {
    await again.close();
  }
});

test('POST /logout while messages are being handled: rc14 ends the socket itself, and what it receipted is delivered', async () => {
  const h = await connectedHarness(receiver.url);
  try {
    const s = h.socket();
    s.closeHandshakeMs = 300;
    const handling = messages('OUT').map((message) => s.receive(message, { processingMs: 100 }));
    const answer = await api(`${h.running.url}/logout`, { method: 'POST', body: '{}' });
    assert.equal(answer.status, 200);
    await Promise.all(handling);
    assert.ok(s.loggedOut && s.ended, 'logged out, and the socket ended by rc14');
    await waitFor(() => delivered('OUT').length === 3, 'delivered');
    assert.equal((await api(`${h.running.url}/status`)).body.connection, 'logged_out');
  } finally {
    await h.close();
  }
});

test('the send watchdog leaves a stuck socket without losing what it was handling', async () => {
  const h = await connectedHarness(receiver.url, { sendTimeoutMs: 200 });
  try {
    const s = h.socket();
    s.stallNextSend = true;
    s.closeHandshakeMs = 500;
    await api(`${h.running.url}/send`, { method: 'POST', body: JSON.stringify({ phone: '4917000000009', message: 'hängt', key: 'stuck' }) });
    // Still being handled when the watchdog (200 ms) ends the socket, done during the close handshake.
    const handling = messages('DOG').map((message) => s.receive(message, { processingMs: 300 }));
    await waitFor(() => s.ended, 'the watchdog ended the stuck socket', 3_000);
    await Promise.all(handling);
    await waitFor(() => delivered('DOG').length === 3, 'delivered');
  } finally {
    await h.close();
  }
});

test('"sent" only when WhatsApp acknowledged it: a reply written to a half-open connection is sent again, under the same id, after the reconnect', async () => {
  const h = await connectedHarness(receiver.url, { sendTimeoutMs: 300 });
  try {
    const first = h.socket();
    first.halfOpen = true; // the write succeeds locally; WhatsApp never sees it
    await api(`${h.running.url}/send`, { method: 'POST', body: JSON.stringify({ phone: '4917012340000', message: 'Ihr Termin ist morgen', key: 'entry:77' }) });
    await waitFor(() => first.sent.length === 1, 'written to the socket');
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.deepEqual(receiver.statuses().filter((x) => x.key === 'entry:77'), [], 'not reported sent: no ack yet');

    await waitFor(() => first.ended && h.sockets.length === 2, 'the watchdog left the half-open socket', 3_000);
    h.socket().open();
    await untilConnected(h);
    await waitFor(() => h.socket().sent.length === 1, 'sent again', 10_000);
    assert.equal(h.socket().sent[0]!.id, first.sent[0]!.id, 'the same id: the customer sees it once');
    await waitFor(() => receiver.statuses().some((x) => x.key === 'entry:77' && x.state === 'sent'), 'reported sent after the ack');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(h.socket().sent.length, 1, 'once');
    assert.deepEqual(receiver.statuses().filter((x) => x.key === 'entry:77').map((x) => x.state), ['sent']);
  } finally {
    await h.close();
  }
});

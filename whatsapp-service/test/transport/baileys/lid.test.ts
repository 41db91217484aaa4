import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SECRET, api } from '../../helpers/service.js';
import { fileReceiver, waitFor } from '../../helpers/receiver.js';
import { waMessage } from './fake-socket.js';
import { connectedHarness, type Harness } from './harness.js';

const receiver = fileReceiver(SECRET);

const connected = (): Promise<Harness> => connectedHarness(receiver.url);
const chatsOf = (...ids: string[]) => ids.map((id) => receiver.messages().find((m) => m.id === id)?.chat);

test('one customer, one chat: LID first, then the mapping, then the phone — and phone first, then the mapping, then the LID', async () => {
  const h = await connected();
  try {
    const s = h.socket();
    // LID first: its chat is lid:…, and stays so when its phone writes.
    s.deliver([waMessage({ id: 'A1', from: '700000000000001@lid' })]);
    await waitFor(() => receiver.messages().some((m) => m.id === 'A1'), 'A1');
    s.ev.emit('lid-mapping.update', { lid: '700000000000001@lid', pn: '4917700000001@s.whatsapp.net' } as never);
    s.deliver([waMessage({ id: 'A2', from: '4917700000001@s.whatsapp.net' })]);
    await waitFor(() => receiver.messages().some((m) => m.id === 'A2'), 'A2');
    assert.deepEqual(chatsOf('A1', 'A2'), ['lid:700000000000001', 'lid:700000000000001']);

    // Phone first: its chat is the phone, also for its LID.
    s.deliver([waMessage({ id: 'B1', from: '4917700000002@s.whatsapp.net' })]);
    await waitFor(() => receiver.messages().some((m) => m.id === 'B1'), 'B1');
    s.ev.emit('lid-mapping.update', { pn: '4917700000002@s.whatsapp.net', lid: '700000000000002@lid' } as never);
    s.deliver([waMessage({ id: 'B2', from: '700000000000002@lid' })]);
    await waitFor(() => receiver.messages().some((m) => m.id === 'B2'), 'B2');
    assert.deepEqual(chatsOf('B1', 'B2'), ['4917700000002', '4917700000002']);
  } finally {
    await h.close();
  }
});

test('a file refused at the LID address is sent to the phone number with the same bytes, read from disk (not kept in memory meanwhile)', async () => {
  const h = await connected();
  try {
    const s = h.socket();
    s.ev.emit('lid-mapping.update', { lid: '700000000000006@lid', pn: '4917700000006@s.whatsapp.net' } as never);
    const pdf = Buffer.from(Array.from({ length: 50_000 }, (_, i) => i % 251));
    s.refuseNext.push('479');
    await api(`${h.running.url}/send`, { method: 'POST', body: JSON.stringify({ phone: '4917700000006', key: 'entry:6:file:1', message: '', media: { filename: 'Rechnung.pdf', mimetype: 'application/pdf', data: pdf.toString('base64') } }) });
    await waitFor(() => s.sent.length === 2, 'sent again');
    const again = s.sent[1]!.content as { document: Buffer; fileName: string };
    assert.equal(s.sent[1]!.jid, '4917700000006@s.whatsapp.net');
    assert.deepEqual([again.fileName, Buffer.compare(again.document, pdf)], ['Rechnung.pdf', 0]);
  } finally {
    await h.close();
  }
});

test('a recycled number resolves to its new LID, never the stale one', async () => {
  const h = await connected();
  try {
    const s = h.socket();
    s.ev.emit('lid-mapping.update', { lid: '700000000000003@lid', pn: '4917700000003@s.whatsapp.net' } as never);
    s.ev.emit('lid-mapping.update', { lid: '700000000000004@lid', pn: '4917700000003@s.whatsapp.net' } as never); // the number's new owner
    await api(`${h.running.url}/send`, { method: 'POST', body: JSON.stringify({ phone: '4917700000003', message: 'Hallo' }) });
    await waitFor(() => s.sent.length === 1, 'sent');
    assert.equal(s.sent[0]!.jid, '700000000000004@lid');
  } finally {
    await h.close();
  }
});

test('WhatsApp refusing the LID address (479): sent once more to the phone number under the same id, and the plugin hears of it', async () => {
  const h = await connected();
  try {
    const s = h.socket();
    s.ev.emit('lid-mapping.update', { lid: '700000000000005@lid', pn: '4917700000005@s.whatsapp.net' } as never);
    s.refuseNext.push('479', '479'); // at the LID, then at the phone number
    await api(`${h.running.url}/send`, { method: 'POST', body: JSON.stringify({ phone: '4917700000005', message: 'Ihre Antwort', key: 'entry:5' }) });
    await waitFor(() => s.sent.length === 2, 'sent again');
    const [first] = s.sent;
    assert.equal(first!.jid, '700000000000005@lid');
    assert.deepEqual([s.sent[1]!.jid, s.sent[1]!.id, s.sent[1]!.text], ['4917700000005@s.whatsapp.net', first!.id, 'Ihre Antwort']);
    // A second refusal at the phone number is final.
    await waitFor(() => receiver.statuses().some((st) => st.key === 'entry:5' && st.state === 'failed'), 'then failed');
    assert.equal(s.sent.length, 2, 'tried once more, not again and again');
  } finally {
    await h.close();
  }
});

test('463 (restricted, or no privacy token) is never sent again, as rc14 says: the message fails with the reason for the agent\'s note', async () => {
  const h = await connected();
  try {
    const s = h.socket();
    s.ev.emit('lid-mapping.update', { lid: '700000000000007@lid', pn: '4917700000007@s.whatsapp.net' } as never);
    s.refuseNext.push('463');
    await api(`${h.running.url}/send`, { method: 'POST', body: JSON.stringify({ phone: '4917700000007', message: 'Ihre Antwort', key: 'entry:7' }) });
    await waitFor(() => s.sent.length === 1, 'sent to the LID');
    await waitFor(() => receiver.statuses().some((st) => st.key === 'entry:7' && st.state === 'failed'), 'failed');
    const failed = receiver.statuses().find((st) => st.key === 'entry:7' && st.state === 'failed');
    assert.match(failed.error, /463: account restricted or no privacy token for this contact; not retried, retrying makes it worse/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(s.sent.length, 1, 'not sent again');
  } finally {
    await h.close();
  }
});

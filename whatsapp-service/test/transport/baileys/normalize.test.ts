import assert from 'node:assert/strict';
import { test } from 'node:test';
import { disconnectAction } from '../../../src/transport/baileys/disconnect.js';
import { normalizeMessage } from '../../../src/transport/baileys/normalize.js';
import { receiptOf, receiptState } from '../../../src/transport/baileys/receipts.js';
import { validMapping } from '../../../src/transport/baileys/contacts.js';
import { waMessage } from './fake-socket.js';

const from = '4917012345678@s.whatsapp.net';
const text = (message: Parameters<typeof waMessage>[0]['message'], extra: Partial<Parameters<typeof waMessage>[0]> = {}) =>
  normalizeMessage(waMessage({ id: 'ID1', from, message, ...extra }));

test('text from plain and extended text messages', () => {
  assert.deepEqual(text({ conversation: 'Hallo 😀' }), {
    kind: 'message', id: 'ID1', senderJid: from, senderAltJid: null, name: 'Max Mustermann', timestamp: 1732400000, type: 'text', text: 'Hallo 😀', edited: false, media: null,
  });
  assert.equal((text({ extendedTextMessage: { text: 'mit Link https://example.com' } }) as any).text, 'mit Link https://example.com');
});

test('media types with their captions', () => {
  const cases: Array<[object, string, string]> = [
    [{ imageMessage: { caption: 'Fehlermeldung' } }, 'image', 'Fehlermeldung'],
    [{ videoMessage: { caption: 'Video' } }, 'video', 'Video'],
    [{ audioMessage: { ptt: true } }, 'audio', ''],
    [{ documentMessage: { caption: 'Rechnung', fileName: 'r.pdf' } }, 'document', 'Rechnung'],
    [{ stickerMessage: {} }, 'sticker', ''],
    [{ locationMessage: { degreesLatitude: 52.52, degreesLongitude: 13.4, name: 'Büro' } }, 'location', 'Büro\nhttps://maps.google.com/?q=52.52,13.4'],
    [{ contactMessage: { displayName: 'Erika', vcard: 'BEGIN:VCARD\nTEL;type=CELL;waid=49151:+49 151 2345\nEND:VCARD' } }, 'contact', 'Erika +49 151 2345'],
    [{ pollCreationMessage: { name: 'Umfrage' } }, 'other', ''],
  ];
  for (const [message, type, caption] of cases) {
    const result = text(message) as any;
    assert.equal(result.kind, 'message', JSON.stringify(message));
    assert.equal(result.type, type, JSON.stringify(message));
    assert.equal(result.text, caption, JSON.stringify(message));
  }
});

test('wrappers are unwrapped: ephemeral, view-once, document with caption, nested', () => {
  assert.equal((text({ ephemeralMessage: { message: { extendedTextMessage: { text: 'verschwindet' } } } }) as any).text, 'verschwindet');
  assert.deepEqual(
    [text({ viewOnceMessageV2: { message: { imageMessage: { caption: 'einmal' } } } })].map((r: any) => [r.type, r.text]),
    [['image', 'einmal']],
  );
  assert.deepEqual(
    [text({ documentWithCaptionMessage: { message: { documentMessage: { caption: 'Vertrag' } } } })].map((r: any) => [r.type, r.text]),
    [['document', 'Vertrag']],
  );
  assert.equal((text({ ephemeralMessage: { message: { viewOnceMessage: { message: { videoMessage: { caption: 'tief' } } } } } }) as any).text, 'tief');
});

test('ignored: groups, status, newsletters, broadcasts, own messages, reactions, deletions, placeholders, bookkeeping', () => {
  const reason = (r: ReturnType<typeof normalizeMessage>) => (r.kind === 'ignore' ? r.reason : 'forwarded');
  assert.equal(reason(normalizeMessage(waMessage({ id: 'G', from: '1203630@g.us' }))), 'group');
  assert.equal(reason(normalizeMessage(waMessage({ id: 'S', from: 'status@broadcast' }))), 'status broadcast');
  assert.equal(reason(normalizeMessage(waMessage({ id: 'N', from: '1203631@newsletter' }))), 'newsletter');
  assert.equal(reason(normalizeMessage(waMessage({ id: 'B', from: '12345@broadcast' }))), 'broadcast list');
  assert.equal(reason(text({ conversation: 'x' }, { fromMe: true })), 'own message');
  assert.equal(reason(text({ reactionMessage: { text: '👍', key: { id: 'X' } } })), 'reaction');
  assert.equal(reason(text({ protocolMessage: { type: 0, key: { id: 'OLD' } } })), 'deletion');
  assert.equal(reason(text({ protocolMessage: { type: 3 } })), 'protocol message');
  assert.equal(reason(text(null)), 'no content');
  assert.equal(reason(text({ senderKeyDistributionMessage: { groupId: 'x' } })), 'protocol message');
});

test('an edit is forwarded as a new message marked edited, never under the original id', () => {
  const edit = text({ protocolMessage: { type: 14, key: { id: 'ORIGINAL' }, editedMessage: { conversation: 'korrigiert' } } }, { id: 'EDITMSG' });
  assert.equal(edit.kind, 'message');
  assert.deepEqual([(edit as any).id, (edit as any).text, (edit as any).edited, (edit as any).type], ['ORIGINAL:edit:EDITMSG', 'korrigiert', true, 'text']);
});

test('LID senders carry the alternate phone JID when WhatsApp sends one', () => {
  const result = normalizeMessage(waMessage({ id: 'L', from: '123456789012345@lid', alt: '4917099999999@s.whatsapp.net' })) as any;
  assert.equal(result.senderJid, '123456789012345@lid');
  assert.equal(result.senderAltJid, '4917099999999@s.whatsapp.net');
});

test('disconnect codes map to the documented actions', () => {
  assert.deepEqual(
    [515, 428, 408, 500, 503, 440, 401, 403, null].map((code) => disconnectAction(code, true, 'QR refs attempts ended').kind),
    ['restart', 'reconnect', 'reconnect', 'reconnect', 'reconnect', 'replaced', 'logged_out', 'banned', 'reconnect'],
  );
  assert.equal(disconnectAction(408, false, 'QR refs attempts ended').kind, 'wait_for_operator');
  assert.equal(disconnectAction(408, false, 'Connection Failure').kind, 'reconnect', 'a network timeout before linking is retried');
});

test('receipt statuses: 2 sent, 3 delivered, 4/5 read, 0 failed, 1 nothing', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, undefined].map(receiptState), ['failed', null, 'sent', 'delivered', 'read', 'read', null]);
});

test('an undecryptable message (CIPHERTEXT stub) is reported as such, not dropped', () => {
  const stub = normalizeMessage(waMessage({ id: 'ID9', from, undecryptable: true }));
  assert.equal(stub.kind, 'unreadable');
  assert.equal((stub as { id: string }).id, 'ID9');
});

test('wrappers Baileys knows beyond ours are unwrapped too (normalizeMessageContent): associated child message', () => {
  const wrapped = text({ associatedChildMessage: { message: { conversation: 'innen' } } } as never);
  assert.equal((wrapped as { text: string }).text, 'innen');
});

test('lid-mapping pairs: LID and phone in either order, anything else refused', () => {
  assert.deepEqual(validMapping({ lid: '123456789012345@lid', pn: '4917012345678@s.whatsapp.net' }), { lid: '123456789012345', phone: '4917012345678' });
  assert.deepEqual(validMapping({ lid: '4917012345678:3@s.whatsapp.net', pn: '123456789012345@lid' }), { lid: '123456789012345', phone: '4917012345678' });
  assert.equal(validMapping({ lid: '4917012345678@s.whatsapp.net', pn: '4917012345679@s.whatsapp.net' }), null);
  assert.equal(validMapping({ lid: 5, pn: null }), null);
});

test('a bad ack carries WhatsApp code into the failed receipt', () => {
  assert.deepEqual(receiptOf('X', { status: 0, messageStubParameters: ['479'] }), {
    whatsappId: 'X', state: 'failed', error: 'WhatsApp refused the message (479: rejected by WhatsApp (stale device session or addressing))',
  });
  assert.deepEqual(receiptOf('X', { status: 3 }), { whatsappId: 'X', state: 'delivered' });
  assert.equal(receiptOf('X', { status: 1 }), null);
});

test('media messages describe their file: type, the customer\'s name for documents, declared size', () => {
  assert.deepEqual((text({ imageMessage: { caption: 'x', mimetype: 'image/png', fileLength: 1234 } }) as any).media, { mimetype: 'image/png', filename: '', size: 1234 });
  assert.deepEqual((text({ documentMessage: { fileName: 'r.pdf', mimetype: 'application/pdf' } }) as any).media, { mimetype: 'application/pdf', filename: 'r.pdf', size: null });
  assert.deepEqual((text({ audioMessage: { ptt: true } }) as any).media, { mimetype: 'audio/ogg; codecs=opus', filename: '', size: null });
  assert.equal((text({ conversation: 'x' }) as any).media, null);
});

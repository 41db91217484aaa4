import assert from 'node:assert/strict';
import { test } from 'node:test';
import { disconnectAction } from '../../../src/transport/baileys/disconnect.js';
import { normalizeCall, normalizeMessage } from '../../../src/transport/baileys/normalize.js';
import { receiptOf, receiptState } from '../../../src/transport/baileys/receipts.js';
import { validMapping } from '../../../src/transport/baileys/contacts.js';
import { waMessage } from './fake-socket.js';

const from = '4917012345678@s.whatsapp.net';
const text = (message: Parameters<typeof waMessage>[0]['message'], extra: Partial<Parameters<typeof waMessage>[0]> = {}) =>
  normalizeMessage(waMessage({ id: 'ID1', from, message, ...extra }));

test('text from plain and extended text messages', () => {
  assert.deepEqual(text({ conversation: 'Hallo 😀' }), {
    kind: 'message', id: 'ID1', senderJid: from, senderAltJid: null, name: 'Max Mustermann', timestamp: 1732400000, type: 'text', text: 'Hallo 😀', edited: false, ref: null, media: null,
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
    [{ pollCreationMessage: { name: 'Welcher Termin?', options: [{ optionName: 'Montag' }, { optionName: 'Dienstag' }] } }, 'poll', '📊 Welcher Termin?\n○ Montag\n○ Dienstag'],
    [{ pollCreationMessageV3: { name: 'Zufrieden?', options: [{ optionName: 'Ja' }] } }, 'poll', '📊 Zufrieden?\n○ Ja'],
    [{ buttonsResponseMessage: { selectedButtonId: 'b2', selectedDisplayText: 'Rückruf bitte' } }, 'text', 'Rückruf bitte'],
    [{ templateButtonReplyMessage: { selectedId: 't1', selectedDisplayText: 'Ja, gerne' } }, 'text', 'Ja, gerne'],
    [{ listResponseMessage: { title: 'Drucker', singleSelectReply: { selectedRowId: 'row-3' } } }, 'text', 'Drucker'],
    [{ interactiveResponseMessage: { body: { text: 'Termin bestätigen' }, nativeFlowResponseMessage: { name: 'x', paramsJson: '{}' } } }, 'text', 'Termin bestätigen'],
    [{ lottieStickerMessage: { message: { stickerMessage: { isAnimated: true, mimetype: 'application/was' } } } }, 'sticker', ''],
    [
      { eventMessage: { name: 'Vor-Ort-Termin', description: 'Bitte klingeln', startTime: 1796380800, location: { name: 'Filiale Mitte', address: 'Hauptstr. 1' } } },
      'event', '📅 Vor-Ort-Termin\n🕒 2026-12-04 10:40 UTC\n📍 Filiale Mitte, Hauptstr. 1\nBitte klingeln',
    ],
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

test('ignored: groups, status, newsletters, own messages, album headers, call logs, reactions to the customer\'s own messages, placeholders, bookkeeping', () => {
  const reason = (r: ReturnType<typeof normalizeMessage>) => (r.kind === 'ignore' ? r.reason : 'forwarded');
  assert.equal(reason(normalizeMessage(waMessage({ id: 'G', from: '1203630@g.us' }))), 'group');
  assert.equal(reason(normalizeMessage(waMessage({ id: 'S', from: 'status@broadcast' }))), 'status broadcast');
  assert.equal(reason(normalizeMessage(waMessage({ id: 'N', from: '1203631@newsletter' }))), 'newsletter');
  assert.equal(reason(normalizeMessage(waMessage({ id: 'B', from: '12345@broadcast' }))), 'broadcast list without a sender');
  assert.equal(reason(text({ conversation: 'x' }, { fromMe: true })), 'own message');
  assert.equal(reason(text({ reactionMessage: { text: '👍', key: { id: 'X', fromMe: false } } })), 'reaction to the customer\'s own message');
  assert.equal(reason(text({ reactionMessage: { text: '', key: { id: 'X', fromMe: true } } })), 'reaction removed');
  assert.equal(reason(text({ albumMessage: { expectedImageCount: 3 } })), 'album header: its pictures come as messages of their own');
  assert.equal(reason(text({ callLogMesssage: { isVideo: false, callOutcome: 1 } })), 'call log: the call itself is reported');
  assert.equal(reason(text({ protocolMessage: { type: 3 } })), 'protocol message');
  assert.equal(reason(text(null)), 'no content');
  assert.equal(reason(text({ senderKeyDistributionMessage: { groupId: 'x' } })), 'protocol message');
});

test('edits, deletions and reactions to our messages are forwarded about the original (ref), never under its id', () => {
  const edit = text({ protocolMessage: { type: 14, key: { id: 'ORIGINAL' }, editedMessage: { conversation: 'korrigiert' } } }, { id: 'EDITMSG' }) as any;
  assert.deepEqual([edit.kind, edit.id, edit.type, edit.text, edit.edited, edit.ref], ['message', 'ORIGINAL:edit:EDITMSG', 'edit', 'korrigiert', true, 'ORIGINAL']);
  const deletion = text({ protocolMessage: { type: 0, key: { id: 'ORIGINAL' } } }, { id: 'REVOKEMSG' }) as any;
  assert.deepEqual([deletion.id, deletion.type, deletion.text, deletion.ref], ['ORIGINAL:delete', 'delete', '', 'ORIGINAL']);
  const reaction = text({ reactionMessage: { text: '👍', key: { id: '3EB0AGENT', fromMe: true } } }, { id: 'REACT1' }) as any;
  assert.deepEqual([reaction.id, reaction.type, reaction.text, reaction.ref], ['REACT1', 'reaction', '👍', '3EB0AGENT']);
  // Merged into the original while both sat in Baileys' buffer (event-buffer.js:425-441): nothing of it is left.
  const merged = normalizeMessage({ ...waMessage({ id: 'ORIGINAL', from, message: null }), messageStubType: 1 }) as any;
  assert.deepEqual([merged.kind, merged.reason], ['ignore', 'deleted before it was forwarded']);
});

test('a customer\'s broadcast-list message comes from key.participant (decode-wa-message.js:149-161)', () => {
  const message = waMessage({ id: 'BL1', from: '1700000000@broadcast', message: { conversation: 'An alle Lieferanten' } });
  message.key.participant = '4917012345678@s.whatsapp.net';
  const result = normalizeMessage(message) as any;
  assert.deepEqual([result.kind, result.senderJid, result.text], ['message', '4917012345678@s.whatsapp.net', 'An alle Lieferanten']);
});

test('a call offer is a "call" message once per call; its other states and group calls are not', () => {
  const offer = { id: 'CALL1', from: '123456789012345@lid', callerPn: '4917012345678@s.whatsapp.net', date: new Date(1_796_000_000_000), status: 'offer' };
  assert.deepEqual(normalizeCall(offer), {
    kind: 'message', id: 'call:CALL1', senderJid: '123456789012345@lid', senderAltJid: '4917012345678@s.whatsapp.net', name: '', timestamp: 1_796_000_000,
    type: 'call', text: '', edited: false, ref: null, media: null,
  });
  assert.equal(normalizeCall({ ...offer, status: 'timeout' }).kind, 'ignore');
  assert.equal(normalizeCall({ ...offer, isGroup: true }).kind, 'ignore');
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

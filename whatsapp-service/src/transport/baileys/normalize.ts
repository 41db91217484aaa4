import { normalizeMessageContent, proto } from 'baileys';
import type { MessageType } from '../transport.js';

/**
 * Pure conversion of a Baileys message into what the gateway forwards, or
 * the reason it is not forwarded. Who the sender is (phone or LID) is settled
 * afterwards by sender.ts, which needs the LID store.
 */

/** The parts of a Baileys WAMessage we read (structurally compatible with it). */
export interface BaileysMessage {
  key: {
    id?: string | null;
    remoteJid?: string | null;
    remoteJidAlt?: string;
    participant?: string | null;
    participantAlt?: string | null;
    fromMe?: boolean | null;
  };
  message?: proto.IMessage | null;
  messageStubType?: number | null;
  messageTimestamp?: number | { toNumber(): number } | null;
  pushName?: string | null;
}

export type Normalized =
  | {
      kind: 'message';
      id: string;
      /** The chat's JID: `<digits>@s.whatsapp.net` or `<digits>@lid`. */
      senderJid: string;
      /** The other addressing of the same sender when WhatsApp sent it. */
      senderAltJid: string | null;
      name: string;
      timestamp: number;
      type: MessageType;
      text: string;
      edited: boolean;
      /** For an edit, a deletion or a reaction: the message it is about. */
      ref: string | null;
      /** The file of a media message, as WhatsApp describes it (downloaded later). */
      media: MediaInfo | null;
    }
  | {
      /** WhatsApp could not decrypt it (a CIPHERTEXT stub); the real message may follow under the same id. */
      kind: 'unreadable';
      id: string;
      senderJid: string;
      senderAltJid: string | null;
      name: string;
      timestamp: number;
    }
  | { kind: 'ignore'; reason: string };

/** Protocol message types (proto.Message.ProtocolMessage.Type) we act on. */
const PROTOCOL_REVOKE = 0;
const PROTOCOL_MESSAGE_EDIT = 14;

export interface MediaInfo {
  mimetype: string;
  filename: string;
  size: number | null;
}

export function ignoredChat(jid: string): string | null {
  if (jid.endsWith('@g.us')) return 'group';
  if (jid === 'status@broadcast') return 'status broadcast';
  if (jid.endsWith('@broadcast')) return null; // a customer's broadcast list: the sender is key.participant
  if (jid.endsWith('@newsletter')) return 'newsletter';
  if (!jid.endsWith('@s.whatsapp.net') && !jid.endsWith('@lid')) return 'not a person';
  return null;
}

export function normalizeMessage(message: BaileysMessage): Normalized {
  const { key } = message;
  const jid = key.remoteJid ?? '';
  if (!key.id || !jid) return ignore('no id or chat');
  const chatProblem = ignoredChat(jid);
  if (chatProblem) return ignore(chatProblem);
  if (key.fromMe) return ignore('own message');
  // A broadcast list reaches each recipient from `<id>@broadcast`, the sender in key.participant
  // (Utils/decode-wa-message.js:149-161); it is a message to us like any other.
  const senderJid = jid.endsWith('@broadcast') ? key.participant ?? '' : jid;
  if (ignoredChat(senderJid) || senderJid.endsWith('@broadcast')) return ignore('broadcast list without a sender');

  const timestamp = toSeconds(message.messageTimestamp);
  const sender = { senderJid, senderAltJid: key.remoteJidAlt ?? key.participantAlt ?? null, name: (message.pushName ?? '').trim(), timestamp };
  // Baileys upserts a message it could not decrypt as a CIPHERTEXT stub without content (messages-recv.js handleMessage).
  if (message.messageStubType === proto.WebMessageInfo.StubType.CIPHERTEXT) return { kind: 'unreadable', id: key.id, ...sender };
  // Deleted while still in Baileys' event buffer (event-buffer.js:425-441 merged the deletion into it):
  // nothing of it is left; its deletion comes as a message of its own.
  if (message.messageStubType === proto.WebMessageInfo.StubType.REVOKE) return ignore('deleted before it was forwarded');
  if (!message.message) return ignore('no content');
  const base = { kind: 'message' as const, ...sender, edited: false, ref: null, media: null };

  const content = unwrap(message.message);
  const protocol = content.protocolMessage;
  if (protocol) {
    const ref = protocol.key?.id;
    if (protocol.type === PROTOCOL_MESSAGE_EDIT && protocol.editedMessage && ref) {
      const { text } = describe(unwrap(protocol.editedMessage));
      // A new id per edit: the gateway stores each message id once, and every edit is worth keeping.
      return { ...base, id: `${ref}:edit:${key.id}`, type: 'edit', text, edited: true, ref };
    }
    if (protocol.type === PROTOCOL_REVOKE && ref) return { ...base, id: `${ref}:delete`, type: 'delete', text: '', ref };
    return ignore('protocol message');
  }
  if (content.reactionMessage) {
    const { text, key: reacted } = content.reactionMessage;
    // Baileys turned the reacted key to our perspective (Utils/process-message.js cleanMessage): fromMe = our message.
    if (!text) return ignore('reaction removed');
    if (!reacted?.fromMe || !reacted.id) return ignore('reaction to the customer\'s own message');
    return { ...base, id: key.id, type: 'reaction', text, ref: reacted.id };
  }
  if (content.albumMessage) return ignore('album header: its pictures come as messages of their own');
  if (content.callLogMesssage) return ignore('call log: the call itself is reported');
  if (content.pollUpdateMessage || content.keepInChatMessage || content.pinInChatMessage) return ignore('chat action');

  const described = describe(content);
  if (described.type === 'other' && described.text === '' && isOnlyBookkeeping(content)) return ignore('protocol message');
  return { ...base, id: key.id, ...described, media: mediaInfo(content) };
}

/** A call offer (Baileys' `call` event): the customer tried to call; nobody at the helpdesk can answer it. */
export function normalizeCall(call: { id: string; from: string; callerPn?: string; date: Date; isGroup?: boolean; status: string }): Normalized {
  if (call.status !== 'offer') return ignore(`call ${call.status}`);
  if (call.isGroup || ignoredChat(call.from)) return ignore('group call');
  return {
    kind: 'message', id: `call:${call.id}`, senderJid: call.from, senderAltJid: call.callerPn ?? null, name: '',
    timestamp: Math.floor(call.date.getTime() / 1000), type: 'call', text: '', edited: false, ref: null, media: null,
  };
}

/** What WhatsApp says about the file of a media message (Baileys downloads these kinds). */
export function mediaInfo(content: proto.IMessage): MediaInfo | null {
  const file = content.imageMessage ?? content.videoMessage ?? content.ptvMessage ?? content.audioMessage ?? content.documentMessage ?? content.stickerMessage;
  if (!file) return null;
  const length = file.fileLength;
  const size = length == null ? null : typeof length === 'number' ? length : Number(length.toString());
  const fallback = content.imageMessage ? 'image/jpeg' : content.stickerMessage ? 'image/webp' : content.audioMessage ? 'audio/ogg; codecs=opus' : content.documentMessage ? 'application/octet-stream' : 'video/mp4';
  return { mimetype: file.mimetype || fallback, filename: content.documentMessage?.fileName ?? '', size: Number.isFinite(size) ? size : null };
}

/** Strips the envelopes WhatsApp puts around the real content (ephemeral, view once, edits, ...), as Baileys does. */
export function unwrap(content: proto.IMessage): proto.IMessage {
  const inner = normalizeMessageContent(content) ?? content;
  // An animated sticker is a stickerMessage inside lottieStickerMessage, which rc14's normalizeMessageContent leaves.
  return inner.lottieStickerMessage?.message ? unwrap(inner.lottieStickerMessage.message) : inner;
}

/** Type and text (or caption) of unwrapped content. */
export function describe(content: proto.IMessage): { type: MessageType; text: string } {
  if (content.conversation) return { type: 'text', text: content.conversation };
  if (content.extendedTextMessage) return { type: 'text', text: content.extendedTextMessage.text ?? '' };
  if (content.imageMessage) return { type: 'image', text: content.imageMessage.caption ?? '' };
  if (content.videoMessage) return { type: 'video', text: content.videoMessage.caption ?? '' };
  if (content.ptvMessage) return { type: 'video', text: content.ptvMessage.caption ?? '' };
  if (content.audioMessage) return { type: 'audio', text: '' };
  if (content.documentMessage) return { type: 'document', text: content.documentMessage.caption ?? '' };
  if (content.stickerMessage) return { type: 'sticker', text: '' };
  const location = content.locationMessage ?? content.liveLocationMessage;
  if (location) return { type: 'location', text: locationText(location) };
  if (content.contactMessage) return { type: 'contact', text: contactText(content.contactMessage) };
  if (content.contactsArrayMessage) {
    return { type: 'contact', text: (content.contactsArrayMessage.contacts ?? []).map(contactText).join('\n') };
  }
  const poll = content.pollCreationMessage ?? content.pollCreationMessageV2 ?? content.pollCreationMessageV3 ?? content.pollCreationMessageV5;
  if (poll) return { type: 'poll', text: lines(`📊 ${poll.name ?? ''}`, ...(poll.options ?? []).map((option) => `○ ${option.optionName ?? ''}`)) };
  if (content.eventMessage) return { type: 'event', text: eventText(content.eventMessage) };
  const chosen =
    content.buttonsResponseMessage?.selectedDisplayText ?? content.templateButtonReplyMessage?.selectedDisplayText ??
    content.listResponseMessage?.title ?? content.interactiveResponseMessage?.body?.text;
  if (chosen) return { type: 'text', text: chosen };
  return { type: 'other', text: '' };
}

function lines(...parts: Array<string | null | undefined>): string {
  return parts.filter((part) => part && part.trim() !== '').join('\n');
}

function eventText(event: proto.Message.IEventMessage): string {
  const start = event.startTime == null ? null : new Date(Number(event.startTime) * 1000);
  const when = start && !Number.isNaN(start.getTime()) ? `🕒 ${start.toISOString().slice(0, 16).replace('T', ' ')} UTC` : null;
  const place = event.location ? lines(event.location.name, event.location.address).replace('\n', ', ') : '';
  const where = place ? `📍 ${place}` : null;
  return lines(`📅 ${event.name ?? ''}${event.isCanceled ? ' (cancelled)' : ''}`, when, where, event.description);
}

function locationText(location: proto.Message.ILocationMessage | proto.Message.ILiveLocationMessage): string {
  const { degreesLatitude: lat, degreesLongitude: lon } = location;
  const label = 'name' in location ? [location.name, location.address].filter(Boolean).join(', ') : '';
  const where = lat != null && lon != null ? `https://maps.google.com/?q=${lat},${lon}` : '';
  return [label, where].filter(Boolean).join('\n');
}

function contactText(contact: proto.Message.IContactMessage): string {
  const phones = [...(contact.vcard ?? '').matchAll(/TEL[^:]*:([+\d\s\-()]+)/g)].map((m) => m[1]!.trim());
  return [contact.displayName, ...phones].filter(Boolean).join(' ');
}

/** Content that only carries keys or context, nothing a person wrote. */
function isOnlyBookkeeping(content: proto.IMessage): boolean {
  const keys = Object.keys(content).filter((k) => (content as Record<string, unknown>)[k] != null);
  return keys.every((k) => k === 'senderKeyDistributionMessage' || k === 'messageContextInfo');
}

function toSeconds(value: BaileysMessage['messageTimestamp']): number {
  return messageSeconds(value) ?? Math.floor(Date.now() / 1000);
}

/** A message's timestamp in seconds (Baileys has a number or a Long), null without one. */
export function messageSeconds(value: BaileysMessage['messageTimestamp']): number | null {
  if (value == null) return null;
  return typeof value === 'number' ? value : value.toNumber();
}

function ignore(reason: string): Normalized {
  return { kind: 'ignore', reason };
}

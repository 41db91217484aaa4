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
  if (jid.endsWith('@broadcast')) return 'broadcast list';
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

  const timestamp = toSeconds(message.messageTimestamp);
  const sender = { senderJid: jid, senderAltJid: key.remoteJidAlt ?? null, name: (message.pushName ?? '').trim(), timestamp };
  // Baileys upserts a message it could not decrypt as a CIPHERTEXT stub without content (messages-recv.js handleMessage).
  if (message.messageStubType === proto.WebMessageInfo.StubType.CIPHERTEXT) return { kind: 'unreadable', id: key.id, ...sender };
  if (!message.message) return ignore('no content');
  const base = { kind: 'message' as const, ...sender };

  const content = unwrap(message.message);
  const protocol = content.protocolMessage;
  if (protocol) {
    if (protocol.type === PROTOCOL_MESSAGE_EDIT && protocol.editedMessage && protocol.key?.id) {
      const edited = describe(unwrap(protocol.editedMessage));
      // A new id per edit: the gateway stores each message id once, and every edit is worth keeping.
      return { ...base, id: `${protocol.key.id}:edit:${key.id}`, ...edited, edited: true, media: null };
    }
    return ignore(protocol.type === PROTOCOL_REVOKE ? 'deletion' : 'protocol message');
  }
  if (content.reactionMessage) return ignore('reaction');
  if (content.pollUpdateMessage || content.keepInChatMessage || content.pinInChatMessage) return ignore('chat action');

  const described = describe(content);
  if (described.type === 'other' && described.text === '' && isOnlyBookkeeping(content)) return ignore('protocol message');
  return { ...base, id: key.id, ...described, edited: false, media: mediaInfo(content) };
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
  return normalizeMessageContent(content) ?? content;
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
  return { type: 'other', text: '' };
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
  if (value == null) return Math.floor(Date.now() / 1000);
  return typeof value === 'number' ? value : value.toNumber();
}

function ignore(reason: string): Normalized {
  return { kind: 'ignore', reason };
}

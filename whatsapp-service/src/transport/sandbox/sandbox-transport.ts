import { isPhoneChat } from '../../chat-id.js';
import { randomBytes } from 'node:crypto';
import {
  initialState,
  MediaError,
  SendError,
  type OutboundMedia,
  type InboundMessage,
  type MessageType,
  type SendResult,
  type Transport,
  type TransportHandlers,
} from '../transport.js';

export interface SandboxCustomerMessage {
  chat: string;
  name: string;
  text: string;
  type: MessageType;
  id?: string;
  /** A file the customer sends, e.g. from the sandbox page. */
  media?: { filename: string; mimetype: string; data: Buffer };
  /** Plays a file WhatsApp hands over late: downloads fail until this many seconds have passed. */
  mediaLateSeconds?: number;
  /** For an edit, a deletion or a reaction: the message it is about. */
  ref?: string | null;
}

/** `sandbox:<when the file can be had, ms>:<base64>` */
const SANDBOX_SOURCE = 'sandbox:';

export interface SandboxSentMessage {
  whatsappId: string;
  chat: string;
  text: string;
  at: string;
  read: boolean;
  /** A file the service sent; its bytes are at `url` (GET, with the API key). */
  media?: { filename: string; mimetype: string; size: number; sha256: string; url: string };
}

/** A message the customer wrote, as the sandbox page shows it again after a reload. */
export interface SandboxCustomerEntry {
  id: string;
  chat: string;
  text: string;
  type: MessageType;
  at: string;
  media?: { filename: string; mimetype: string; size: number };
}

/** Both sides of a sandbox chat, oldest first. */
export type SandboxConversationEntry = (SandboxCustomerEntry & { direction: 'in' }) | (SandboxSentMessage & { direction: 'out' });

/** Kept per chat so a long session cannot grow without bound. */
const KEEP_PER_CHAT = 500;

/**
 * A WhatsApp stand-in: customers are played through the HTTP sandbox
 * endpoints, and what the service "sends" is kept here to be looked at.
 * Sent messages are reported delivered at once and read once looked at.
 */
export class SandboxTransport implements Transport {
  readonly name = 'sandbox';
  private handlers: TransportHandlers | null = null;
  private readonly sent = new Map<string, SandboxSentMessage[]>();
  private readonly received = new Map<string, SandboxCustomerEntry[]>();
  /** Chats played as "not on WhatsApp", to try what agents see when a reply cannot arrive. */
  private readonly notOnWhatsApp = new Set<string>();
  /** Chats whose phone is played as switched off: sent, not delivered until it is on again (the ids waiting for that). */
  private readonly phoneOff = new Map<string, string[]>();

  async start(handlers: TransportHandlers): Promise<void> {
    this.handlers = handlers;
    handlers.state({ ...initialState('connected'), me: 'sandbox' });
  }

  async stop(): Promise<void> {
    this.handlers?.state(initialState('stopped'));
    this.handlers = null;
  }

  /** A customer writes; resolves once the gateway has stored the message. */
  async receive(message: SandboxCustomerMessage): Promise<InboundMessage> {
    if (!this.handlers) throw new Error('sandbox transport is not running');
    const inbound: InboundMessage = {
      id: message.id ?? `SANDBOX${randomBytes(8).toString('hex').toUpperCase()}`,
      chat: message.chat,
      phone: isPhoneChat(message.chat) ? message.chat : null,
      name: message.name,
      timestamp: Math.floor(Date.now() / 1000),
      type: message.type,
      text: message.text,
      edited: message.type === 'edit',
      ref: message.ref ?? null,
      // The bytes travel with the stored message, as WhatsApp's media keys do for real.
      media: message.media
        ? { mimetype: message.media.mimetype, filename: message.media.filename, size: message.media.data.length, source: `${SANDBOX_SOURCE}${Date.now() + (message.mediaLateSeconds ?? 0) * 1000}:${message.media.data.toString('base64')}` }
        : null,
    };
    await this.handlers.message(inbound);
    const file = message.media && { filename: message.media.filename, mimetype: message.media.mimetype, size: message.media.data.length };
    keep(this.received, inbound.chat, { id: inbound.id, chat: inbound.chat, text: inbound.text, type: inbound.type, at: new Date().toISOString(), ...(file ? { media: file } : {}) });
    return inbound;
  }

  async send(chat: string, text: string, messageId: string, media?: OutboundMedia): Promise<SendResult> {
    const handlers = this.handlers;
    if (!handlers) throw new Error('sandbox transport is not running');
    if (this.notOnWhatsApp.has(chat)) throw new SendError('the number is not on WhatsApp', 'not_on_whatsapp', false);
    const whatsappId = messageId;
    keep(this.sent, chat, {
      whatsappId, chat, text, at: new Date().toISOString(), read: false,
      ...(media ? { media: { filename: media.filename, mimetype: media.mimetype, size: media.data.length, sha256: media.sha256, url: `/media/${media.id}` } } : {}),
    });
    // As on a real phone, the receipt comes after the send has returned (unless the service stopped meanwhile);
    // a phone that is off gets the message, and says so, when it is on again.
    const waiting = this.phoneOff.get(chat);
    if (waiting) waiting.push(whatsappId);
    else setTimeout(() => this.handlers?.receipt({ whatsappId, state: 'delivered' }), 5);
    return { whatsappId };
  }

  async downloadMedia(source: string): Promise<Buffer> {
    if (!source.startsWith(SANDBOX_SOURCE)) throw new MediaError('not a sandbox file', 'download_failed', false);
    const [, from = '0', data = source.slice(SANDBOX_SOURCE.length)] = /^sandbox:(\d+):(.*)$/s.exec(source) ?? [];
    if (Date.now() < Number(from)) throw new MediaError('the sandbox plays a file WhatsApp hands over late', 'download_failed', true);
    return Buffer.from(data, 'base64');
  }

  /** An erasure: the chat as if it never happened. */
  forget(chat: string): void {
    this.sent.delete(chat);
    this.received.delete(chat);
    this.notOnWhatsApp.delete(chat);
    this.phoneOff.delete(chat);
  }

  /** Plays the customer's phone switched off (messages stay "sent") and on again (what waited is delivered). */
  setPhoneOnline(chat: string, online: boolean): void {
    const waiting = this.phoneOff.get(chat);
    if (!online) {
      if (!waiting) this.phoneOff.set(chat, []);
      return;
    }
    this.phoneOff.delete(chat);
    for (const whatsappId of waiting ?? []) this.handlers?.receipt({ whatsappId, state: 'delivered' });
  }

  /** Plays a number that is (not) on WhatsApp: sends to it then fail as they would for real. */
  setOnWhatsApp(chat: string, onWhatsApp: boolean): void {
    if (onWhatsApp) this.notOnWhatsApp.delete(chat);
    else this.notOnWhatsApp.add(chat);
  }

  /** The whole chat, the customer's messages and what was sent, oldest first (what the sandbox page shows). */
  conversation(chat: string, markRead = false): SandboxConversationEntry[] {
    const theirs = this.outbound(chat, markRead).map((m) => ({ ...m, direction: 'out' as const }));
    const mine = (this.received.get(chat) ?? []).map((m) => ({ ...m, direction: 'in' as const }));
    return [...mine, ...theirs].sort((a, b) => a.at.localeCompare(b.at));
  }

  /** What was sent to a chat, oldest first; `markRead` plays the customer opening the chat. */
  outbound(chat: string, markRead = false): SandboxSentMessage[] {
    const list = this.sent.get(chat) ?? [];
    const copy = list.map((message) => ({ ...message }));
    if (markRead) {
      for (const message of list.filter((m) => !m.read)) {
        message.read = true;
        this.handlers?.receipt({ whatsappId: message.whatsappId, state: 'read' });
      }
    }
    return copy;
  }
}

function keep<T>(lists: Map<string, T[]>, chat: string, item: T): void {
  lists.set(chat, [...(lists.get(chat) ?? []), item].slice(-KEEP_PER_CHAT));
}

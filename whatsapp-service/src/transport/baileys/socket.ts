import type { BaileysEventEmitter, proto, UserFacingSocketConfig, WAMessage } from 'baileys';

/** The kinds of content we send (Baileys' AnyMessageContent, Types/Message.d.ts). */
export type MessageContent =
  | { text: string }
  | { image: Buffer; caption?: string; mimetype?: string }
  | { document: Buffer; mimetype: string; fileName: string; caption?: string };

/** What we use of a Baileys socket; the real one has much more, a test fake needs only this. */
export interface WhatsAppSocket {
  /** Baileys' event buffer (Utils/event-buffer.js): holds events while buffering, `flush` emits them. */
  ev: BaileysEventEmitter & { flush(): boolean; buffer(): void; isBuffering(): boolean };
  user?: { id: string } | undefined;
  /** The websocket client; rc14 emits every stanza on it as `CB:<tag>,<attr>:<value>` (Socket/socket.js:440-466). */
  ws: {
    on(event: string, listener: (node: { attrs?: Record<string, string | undefined> }) => void): unknown;
    off(event: string, listener: (node: { attrs?: Record<string, string | undefined> }) => void): unknown;
  };
  /** rc14 answers with the full message it relayed (Socket/messages-send.js:1068-1140). */
  sendMessage(jid: string, content: MessageContent, options?: { messageId?: string }): Promise<{ key: { id?: string | null }; message?: proto.IMessage | null } | undefined>;
  requestPairingCode(phone: string): Promise<string>;
  /** rc14 leaves numbers that are not on WhatsApp out of the list (socket.js onWhatsApp). */
  onWhatsApp(...jids: string[]): Promise<Array<{ exists: unknown; jid: string }> | undefined>;
  signalRepository: {
    lidMapping: {
      getPNForLID(lid: string): Promise<string | null>;
      getLIDForPN(pn: string): Promise<string | null>;
    };
  };
  /** Asks the phone to upload an expired file again; resolves with the message pointing to it. */
  updateMediaMessage(message: WAMessage): Promise<WAMessage>;
  /** Removes this device, then ends the socket (rc14 Socket/socket.js:572-594). */
  logout(message?: string): Promise<void>;
  /** Stops reading, awaits the close handshake, emits "close", destroys the event buffer (socket.js:472-507). */
  end(error: Error | undefined): void | Promise<void>;
}

export type SocketFactory = (config: UserFacingSocketConfig) => WhatsAppSocket;

/** The Boom status code Baileys puts on its errors, if any. */
export function statusCodeOf(error: unknown): number | null {
  return (error as { output?: { statusCode?: number } } | undefined)?.output?.statusCode ?? null;
}

/** Baileys' CacheStore on a Map; entries expire after an hour. */
export class MapCache {
  private readonly entries = new Map<string, { value: unknown; until: number }>();
  get<T>(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry || entry.until < Date.now()) return undefined;
    return entry.value as T;
  }
  set<T>(key: string, value: T): void {
    // Bounded by dropping the oldest: clearing all would reset rc14's retry counts (Socket/messages-recv.js:1030-1039).
    this.entries.delete(key);
    if (this.entries.size >= 10_000) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { value, until: Date.now() + 3_600_000 });
  }
  del(key: string): void {
    this.entries.delete(key);
  }
  flushAll(): void {
    this.entries.clear();
  }
}

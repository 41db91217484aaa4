/**
 * The boundary to WhatsApp. The gateway sees only these plain types; the
 * Baileys adapter (src/transport/baileys/) and the sandbox transport
 * (src/transport/sandbox/) implement them. Nothing outside an adapter's own
 * folder imports a WhatsApp library.
 */

export const MESSAGE_TYPES = [
  'text', 'image', 'video', 'audio', 'document', 'sticker', 'location', 'contact', 'poll', 'event', 'call', 'other',
  // About an earlier message (`ref`): the customer edited or deleted it, or reacted to an agent's message.
  'edit', 'delete', 'reaction',
  // Made by the gateway: WhatsApp delivered a message it could not decrypt, and the real one never followed.
  'unreadable',
] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** A customer's message, normalised. See docs/contract.md, section 2.1. */
export interface InboundMessage {
  /** WhatsApp message id; unique, the idempotency key of the whole pipeline. */
  id: string;
  /** Chat id: phone digits ("49123456789"), or "lid:<digits>" / "bsuid:<id>" when no phone is known. */
  chat: string;
  /** Phone digits (E.164 without "+"), or null when only a LID is known. */
  phone: string | null;
  /** WhatsApp profile name, "" when unknown. */
  name: string;
  /** Unix seconds. */
  timestamp: number;
  type: MessageType;
  /** Text, or the caption of a media message, or "". */
  text: string;
  /** True when this is the new text of a message the customer edited. */
  edited: boolean;
  /** For `edit`, `delete` and `reaction`: the WhatsApp id of the message it is about. */
  ref?: string | null;
  /** For `reaction`: the key of the agent's message reacted to (set by the gateway from its outbox). */
  refKey?: string | null;
  /** The file of an image, video, voice note, audio, document or sticker; absent otherwise. */
  media?: InboundMedia | null;
}

/** A customer's file, before the gateway has downloaded it. */
export interface InboundMedia {
  mimetype: string;
  /** The customer's file name for documents, else "". */
  filename: string;
  /** Declared size in bytes, when WhatsApp says it. */
  size: number | null;
  /** Where the transport can fetch it from later (opaque to the gateway; stored with the message). */
  source: string;
}

export type DeliveryState = 'sent' | 'delivered' | 'read' | 'failed';

/** What WhatsApp reported about a message we sent. */
export interface Receipt {
  whatsappId: string;
  /**
   * `held`: WhatsApp took it and then refused it for now (the Cloud API's 24-hour window): send it again.
   * `retry`: WhatsApp took it and then failed it for a passing reason (the Cloud API's 131000, 130429, …): again after a pause.
   */
  state: DeliveryState | 'held' | 'retry';
  /** For `failed`: WhatsApp's reason, with its code (e.g. "463: ..."). */
  error?: string;
}

/** Limits WhatsApp puts on starting new chats (reach-out time lock, message capping). */
export interface SendingLimits {
  /** New chats are blocked until `until` (ISO) while active. */
  reachout: { active: boolean; until: string | null } | null;
  /** WhatsApp's last capping report for new chats, as it sent it. */
  capping: Record<string, unknown> | null;
}

export const CONNECTION_STATUSES = [
  'starting', 'waiting_for_scan', 'connecting', 'connected', 'reconnecting',
  'logged_out', 'replaced', 'banned', 'stopped',
  // The Cloud API refused the access token or its permissions: nothing is sent until that is fixed.
  'misconfigured',
] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];

export interface ConnectionState {
  status: ConnectionStatus;
  /** Raw QR payload while waiting for a scan, else null. */
  qr: string | null;
  /** Pairing code while one was requested and not yet used, else null. */
  pairingCode: string | null;
  /** The linked phone number (digits) once connected. */
  me: string | null;
  lastDisconnect: { code: number | null; reason: string; at: string } | null;
  /** ISO time of the last status change. */
  since: string;
  limits: SendingLimits;
}

/** Callbacks the gateway gives a transport. */
export interface TransportHandlers {
  /** Resolves once the message is stored durably; the transport may then forget it. */
  message(message: InboundMessage): Promise<void>;
  /** A message WhatsApp could not decrypt (type "unreadable"); the real one may follow under the same id. */
  unreadable(message: InboundMessage): Promise<void>;
  /** The chat of the message it is about, or null when no message has that id (yet: its send's answer may still be on its way). */
  receipt(receipt: Receipt): { chat: string } | null;
  /** What waits for the customer in this chat (held) will not go: it fails with `reason` (the Cloud API refused its invitation). */
  failHeld(chat: string, reason: string): void;
  /** What waits for the customer in this chat is tried again now (its invitation failed for a passing reason). */
  releaseHeld(chat: string): void;
  state(state: ConnectionState): void;
}

export interface SendResult {
  /** The WhatsApp message id of the sent message. */
  whatsappId: string;
  /** The message as the transport sent it (Baileys: the encoded proto.Message), to send it again when the phone asks. */
  sent?: Uint8Array;
}

/**
 * Thrown by Transport.send. `retryable` false means: never try this message
 * again; `hold` means: not before the customer writes again (then at once).
 */
export class SendError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly retryable: boolean,
    readonly hold = false,
  ) {
    super(message);
    this.name = 'SendError';
  }
}

/** What the gateway knows about a message besides its text. */
export interface SendContext {
  /** The ticket number the plugin sent with it, if any. */
  ticket: string | null;
}

/** A file an agent sends, `text` being its caption. */
export interface OutboundMedia {
  /** The gateway's media id (GET /media/<id>). */
  id: string;
  data: Buffer;
  mimetype: string;
  filename: string;
  sha256: string;
}

/** A media file that could not be fetched; `retryable` false: it never will be (e.g. too large). */
export class MediaError extends Error {
  constructor(
    message: string,
    readonly code: 'too_large' | 'download_failed' | 'expired',
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = 'MediaError';
  }
}

/** A transport that WhatsApp calls (the Cloud API's webhook), served on /<transport name>/webhook. */
export interface InboundWebhook {
  /** GET: the subscription check, answered as text. */
  verify(query: URLSearchParams): { status: number; body: string };
  /** POST: the exact bytes and their signature header; resolves once everything in them is stored. */
  receive(body: Buffer, signature: string | undefined): Promise<{ status: number; body: string }>;
  maxBodyBytes: number;
}

/** What a transport adds to /status (details) and /health (problems). */
export interface TransportDetails {
  details: Record<string, unknown>;
  problems: string[];
}

export interface Transport {
  readonly name: string;
  readonly webhook?: InboundWebhook;
  describe?(): TransportDetails;
  start(handlers: TransportHandlers): Promise<void>;
  /**
   * Send text to a chat id (see InboundMessage.chat) under the given WhatsApp
   * message id, so a resend after a crash is the same message (Baileys; the
   * Cloud API chooses its own ids, so there a crash between its answer and
   * the record may send twice). Throws SendError.
   */
  send(chat: string, text: string, messageId: string, media?: OutboundMedia, context?: SendContext): Promise<SendResult>;
  /** Ask for a pairing code for linking without a camera (phone: digits); the code shown, if one is. */
  requestPairingCode?(phone: string): Promise<string>;
  /** Start a fresh linking attempt when the last QR codes ran out; a no-op otherwise. */
  relink?(): void;
  /** The bytes of an inbound media file (InboundMedia.source); throws MediaError. */
  downloadMedia?(source: string, maxBytes: number): Promise<Buffer>;
  /** Unlink this device: log out and forget the stored session. */
  logout?(): Promise<void>;
  /** Forget what the transport keeps about a chat (e.g. which LID is which phone): a customer's erasure. */
  forget?(chat: string): void;
  stop(): Promise<void>;
}

/** A message we sent, as kept for WhatsApp's retry requests. */
export interface SentMessage {
  text: string;
  /** SendResult.sent, if the transport gave it. */
  sent: Uint8Array | null;
  hasFile: boolean;
}

/** What the gateway offers a transport besides the handlers. */
export interface TransportContext {
  /** A message we sent, by WhatsApp id, for WhatsApp's retry requests (kept with the outbox row). */
  sentMessage(whatsappId: string): SentMessage | undefined;
  /** A file to send, read from the media store when it is needed (never kept in memory meanwhile). */
  mediaFile(id: string): OutboundMedia | undefined;
}

export function initialState(status: ConnectionStatus = 'starting'): ConnectionState {
  return {
    status, qr: null, pairingCode: null, me: null, lastDisconnect: null, since: new Date().toISOString(),
    limits: { reachout: null, capping: null },
  };
}

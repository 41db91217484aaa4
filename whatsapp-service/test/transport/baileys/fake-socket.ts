import { makeEventBuffer, normalizeMessageContent, proto, type UserFacingSocketConfig, type WAMessage } from 'baileys';
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import type { WhatsAppSocket } from '../../../src/transport/baileys/index.js';
import type { MessageContent } from '../../../src/transport/baileys/socket.js';

/**
 * A Baileys socket without the network: a real Baileys event emitter
 * (makeEventBuffer) plus stand-ins for what the adapter calls, answering as
 * baileys 7.0.0-rc14 does (paths under node_modules/baileys/lib):
 * - sendMessage: the key id is `options.messageId` when given, else a fresh id
 *   (Socket/messages-send.js:1086-1087: `messageId: generateMessageIDV2(...)`, then `...options`);
 *   transport trouble is thrown as a Boom with statusCode (428 "Connection Closed").
 * - sendMessage with a file uploads it first (generateWAMessage with `upload: waUploadToServer`,
 *   Socket/messages-send.js:1053-1083, then relayMessage at :1128): it takes as long as the
 *   uplink needs (`uplinkBytesPerMs`).
 * - onWhatsApp: LIDs are skipped, and numbers not on WhatsApp are left out of the list
 *   (Socket/socket.js:226-228 and 244: `results.list.filter(a => !!a.contact)`); no `exists: false` entry;
 *   `undefined` when the query brings no result node (socket.js:242-246, `onWhatsAppAnswers: false`).
 * - lidMapping.getPNForLID: `<phone>:<device>@s.whatsapp.net`, device 0 written out (lid-mapping.js addResolvedPair).
 * - lidMapping.getLIDForPN: `<lid>@lid` from its store, else it asks the server (USync) for any
 *   phone JID (Signal/lid-mapping.js:83-85, 143-176), which knows a LID for nearly every account
 *   in 2026 (`serverKnowsLids`), stores the pair and answers, after `latencyMs`; the query can fail
 *   (`lidLookupFailures`: rejects as executeUSyncQuery does); device 0 -> no ":device" part (line 117).
 * - a refused message (`refuseNext`): the server's ack carries the code instead of a good ack, and rc14's
 *   handleBadAck emits `messages.update` with status ERROR (0) and the code in messageStubParameters[0]
 *   (Socket/messages-recv.js:1494-1566).
 * - an undecryptable message (Socket/messages-recv.js:1298-1389): "Key used already or never
 *   filled" is nacked and not upserted (WhatsApp sends it again); "Message absent from node" asks
 *   the phone for the content, upserts the CIPHERTEXT stub and then updates it with the request id;
 *   any other failure (Bad MAC) sends a retry request and upserts the stub (decode-wa-message.js:297-298).
 * - updateMediaMessage: the phone uploads an expired file again; the same message object comes
 *   back with the media's new directPath and url (Socket/messages-send.js:1011-1051). Here the
 *   new url is `reuploadedUrl` and directPath is left out, since Baileys builds an https URL from
 *   any directPath (Utils/messages-media.js:420) and the test server is plain http.
 * - buffering: a socket of a linked device (creds.me set) buffers its events from the next tick
 *   on (Socket/socket.js:822-828) until WhatsApp says the offline messages are through
 *   (`<ib><offline>`, socket.js:831-838) or 30 s pass (Utils/event-buffer.js:34,49-54):
 *   messages.upsert, messages.update and the rest of BUFFERABLE_EVENT wait, connection.update
 *   does not. WhatsApp has the delivery receipt before the upsert is emitted
 *   (Socket/messages-recv.js:1420 vs :1432).
 * - end(): asynchronous; stops reading, awaits the close handshake, emits connection.update "close",
 *   removes those listeners and destroys the event buffer, which drops whatever it still holds
 *   (socket.js:472-507, event-buffer.js:173-192). A network drop (`close(code)`) ends the socket the
 *   same way without the handshake. logout() ends it too (socket.js:594).
 * - receive(): the receipt before the upsert, live messages under processNodeWithBuffer, the upsert a
 *   buffered function with its 100 ms timer (see there).
 */
export class FakeSocket implements WhatsAppSocket {
  readonly ev = makeEventBuffer(pino({ level: 'silent' }));
  user: { id: string } | undefined;
  /** What was sent, with the message rc14 would answer with (`message`, see relayed()). */
  readonly sent: Array<{ jid: string; text: string; id: string; content?: MessageContent; message: proto.IMessage }> = [];
  ended = false;
  loggedOut = false;
  /** Phone numbers (digits) that are on WhatsApp; everything else is not. */
  onWhatsAppNumbers: Set<string> | null = null;
  lidToPhone = new Map<string, string>();
  /** The next sends throw this, once each. */
  sendFailures: Error[] = [];
  /** The next send never settles (a stuck connection). */
  stallNextSend = false;
  onWhatsAppCalls = 0;
  /** Where updateMediaMessage says the re-uploaded file now is; null: the phone refuses. */
  reuploadedUrl: string | null = null;
  /** Our phone is offline: the retry request is sent, no messages.media-update ever comes (rc14 waits without a limit). */
  phoneOffline = false;
  /** False: `sent` keeps no file bytes (a benchmark sends gigabytes; rc14 keeps none after the upload either). */
  keepSentFiles = true;
  reuploadRequests = 0;
  /** rc14's own store of recent sends for retry requests: 5 minutes, cleared on end (Utils/message-retry-manager.js:3, 33-36). */
  readonly retryCache = new Map<string, { message: proto.IMessage; at: number }>();
  /** The socket's websocket client: rc14 emits each stanza on it as `CB:<tag>,...` (Socket/socket.js:440-466). */
  readonly ws = new EventEmitter();
  /** The connection is half-open: writes succeed locally, WhatsApp answers nothing (noticed by rc14 after 35-65 s, socket.js:530-541). */
  halfOpen = false;
  /** WhatsApp refuses the next sends with these codes in their ack (463, 479), once each. */
  refuseNext: string[] = [];
  /** Messages sent again on a retry request, by id. */
  readonly resent: Array<{ id: string; message: proto.IMessage }> = [];

  /** How long getLIDForPN and sendMessage take, as a slow server answers. */
  latencyMs = 0;
  /** The server has a LID for every number on WhatsApp (rc14 asks it for any phone it does not know). */
  serverKnowsLids = true;
  /** Accounts whose LID the test chose (phone digits -> LID digits); others get serverLid(phone). */
  readonly accounts = new Map<string, string>();
  /** The next LID queries fail, once each. */
  lidLookupFailures = 0;
  lidLookups = 0;
  /** False: onWhatsApp's query brings no list and it answers undefined. */
  onWhatsAppAnswers = true;
  /** Upload speed for files (bytes per ms); Infinity: instant. */
  uplinkBytesPerMs = Infinity;

  constructor(readonly config: UserFacingSocketConfig) {
    process.nextTick(() => this.tick());
    // rc14 stores every mapping it announces (Socket/chats.js:1129-1136).
    this.ev.on('lid-mapping.update', ({ lid, pn }) => this.storeMapping(lid, pn));
    // rc14's handleBadAck, registered when the socket is built, so before anyone else's listener
    // (Socket/messages-recv.js:1494-1566, 1624): an ack with an error is a refusal, emitted at once.
    this.ws.on('CB:ack,class:message', ({ attrs }: { attrs: Record<string, string> }) => {
      if (attrs.error) this.ev.emit('messages.update', [{ key: { id: attrs.id, fromMe: true, remoteJid: attrs.from }, update: { status: proto.WebMessageInfo.Status.ERROR, messageStubParameters: [attrs.error] } }]);
    });
  }

  /** The phone's LID as Baileys stores it (Signal/lid-mapping.js storeLIDPNMappings): the newest wins. */
  private readonly phoneToLid = new Map<string, string>();
  /** storeLIDPNMappings (lid-mapping.js:16-29): pairs in either order pass its check, and are stored as given. */
  storeMapping(lid: string, pn: string) {
    const isLid = (jid: string) => jid.endsWith('@lid');
    const isPn = (jid: string) => jid.endsWith('@s.whatsapp.net');
    if (!((isLid(lid) && isPn(pn)) || (isPn(lid) && isLid(pn)))) return;
    const user = (jid: string) => jid.split('@')[0]!.split(':')[0]!;
    this.phoneToLid.set(user(pn), user(lid));
    this.lidToPhone.set(`${user(lid)}@lid`, `${user(pn)}@s.whatsapp.net`);
  }

  /** The tick after creation, when rc14 starts buffering for a linked device; network events only come after it. */
  private ticked = false;
  private tick() {
    if (this.ticked) return;
    this.ticked = true;
    if (this.config.auth.creds.me?.id) this.ev.buffer();
  }

  async sendMessage(jid: string, content: MessageContent, options: { messageId?: string } = {}) {
    const failure = this.sendFailures.shift();
    if (failure) throw failure;
    if (this.stallNextSend) {
      this.stallNextSend = false;
      return new Promise<never>(() => {});
    }
    const upload = 'text' in content ? 0 : (('image' in content ? content.image : content.document) as Buffer).length / this.uplinkBytesPerMs;
    if (this.latencyMs + upload > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs + upload));
    if (this.ended) throw boom('Connection Closed', 428);
    const id = options.messageId ?? `3EB0FAKE${String(this.sent.length + 1).padStart(14, '0')}`;
    const message = relayed(content);
    if ('text' in content) this.sent.push({ jid, text: content.text, id, message });
    else this.sent.push({ jid, text: content.caption ?? '', id, content: this.keepSentFiles ? content : undefined, message });
    this.retryCache.set(id, { message, at: Date.now() });
    // WhatsApp's server acknowledges the stanza (`<ack class="message">`, Socket/messages-recv.js:1624), a refusal
    // in that same ack (`error="479"`), unless the connection is half-open: the write succeeded locally and nothing comes back.
    const error = this.refuseNext.shift();
    const attrs = { id, class: 'message', from: jid, t: String(Math.floor(Date.now() / 1000)), ...(error ? { error } : {}) };
    if (!this.halfOpen) setImmediate(() => this.ended || this.ws.emit('CB:ack,class:message', { tag: 'ack', attrs }));
    // rc14 answers with the full message it relayed (Socket/messages-send.js:1068-1140), not only its key,
    // once the websocket write is done (socket.js:58-72): not a sign that WhatsApp has it.
    return { key: { id, remoteJid: jid, fromMe: true }, message, messageTimestamp: Math.floor(Date.now() / 1000) };
  }
  async requestPairingCode(phone: string) {
    return `PAIR${phone.slice(-4)}`;
  }
  async onWhatsApp(...jids: string[]) {
    this.onWhatsAppCalls++;
    if (!this.onWhatsAppAnswers) return undefined;
    return jids
      .filter((jid) => !jid.endsWith('@lid'))
      .filter((jid) => this.onWhatsAppNumbers === null || this.onWhatsAppNumbers.has(jid.split('@')[0]!))
      .map((jid) => ({ jid, exists: true }));
  }
  readonly signalRepository = {
    lidMapping: {
      // rc14 answers with the LID's device part, ":0" included (Signal/lid-mapping.js _getPNsForLIDsImpl, addResolvedPair).
      getPNForLID: async (lid: string) => {
        const [user, device = '0'] = lid.split('@')[0]!.split(':');
        const phone = this.lidToPhone.get(`${user}@lid`);
        return phone ? `${phone.split('@')[0]}:${device}@s.whatsapp.net` : null;
      },
      getLIDForPN: async (pn: string) => {
        const phone = pn.split('@')[0]!.split(':')[0]!;
        const known = this.phoneToLid.get(phone);
        if (known) return `${known}@lid`;
        // Not in its store: rc14 asks the server (USync), slowly, and that can fail.
        this.lidLookups++;
        if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
        if (this.lidLookupFailures > 0) {
          this.lidLookupFailures--;
          throw boom('Timed Out', 408);
        }
        if (!this.serverKnowsLids || (this.onWhatsAppNumbers !== null && !this.onWhatsAppNumbers.has(phone))) return null;
        const lid = `${this.accounts.get(phone) ?? serverLid(phone)}@lid`;
        this.storeMapping(lid, pn);
        return lid;
      },
    },
  };
  async updateMediaMessage(message: WAMessage): Promise<WAMessage> {
    this.reuploadRequests++;
    if (this.phoneOffline) return new Promise<never>(() => {});
    if (!this.reuploadedUrl) throw boom('Media re-upload failed by device (NOT_FOUND)', 404);
    const content = normalizeMessageContent(message.message);
    const media = content?.imageMessage ?? content?.videoMessage ?? content?.audioMessage ?? content?.documentMessage ?? content?.stickerMessage;
    if (!media) throw boom('given message is not a media message', 400);
    media.url = this.reuploadedUrl;
    media.directPath = null;
    return message;
  }
  /** rc14's logout: tells WhatsApp to remove the device (throws when the connection is gone), then ends the socket (Socket/socket.js:572-594). */
  async logout() {
    if (this.ended) throw boom('Connection Closed', 428);
    this.loggedOut = true;
    void this.end(boom('Intentional Logout', 401));
  }
  /** How long WhatsApp takes to answer our close frame (ws' close() awaits it, Socket/Client/websocket.js:38-47). */
  closeHandshakeMs = 30;
  /** The network is gone: no close handshake happens. */
  private wsOpen = true;
  /**
   * rc14's end() (Socket/socket.js:472-507): stops reading at once (no message is received, none receipted
   * after it), awaits the close handshake when the connection is still open, runs the socket-end handlers
   * (the retry cache is cleared, messages-send.js:982-988), emits "close", then removes those listeners
   * and destroys the event buffer with whatever it still holds.
   */
  async end(error?: Error) {
    if (this.ended) return;
    this.ended = true;
    if (this.wsOpen && this.closeHandshakeMs > 0) await new Promise((resolve) => setTimeout(resolve, this.closeHandshakeMs));
    this.wsOpen = false;
    await Promise.resolve(); // `await handler(error)` for each socket-end handler
    this.retryCache.clear();
    this.ev.emit('connection.update', { connection: 'close', lastDisconnect: { error, date: new Date() } });
    this.ev.removeAllListeners('connection.update');
    (this.ev as unknown as { destroy(): void }).destroy();
  }

  // --- what WhatsApp would do ---
  showQr(qr = 'QR-REF-1') {
    this.tick();
    this.ev.emit('connection.update', { qr });
  }
  /** Logged in; unless `holdOffline`, WhatsApp then says the offline messages are through (the buffer is flushed). */
  open(phone = '4930123456', { holdOffline = false } = {}) {
    this.tick();
    this.user = { id: `${phone}:7@s.whatsapp.net` };
    this.config.auth.creds.me = { id: this.user.id, name: 'Support' };
    this.ev.emit('creds.update', { me: this.config.auth.creds.me });
    this.ev.emit('connection.update', { connection: 'open' });
    if (!holdOffline) this.offlineDone();
  }
  /** `<ib><offline>`: Baileys flushes what it buffered (socket.js:831-838). */
  offlineDone() {
    this.ev.flush();
    this.ev.emit('connection.update', { receivedPendingNotifications: true });
  }
  /** The connection drops (network, 428, 515, ...): Baileys ends the socket, buffer and all (ws 'close', socket.js:690). */
  close(statusCode: number, message = 'closed') {
    this.tick();
    this.wsOpen = false;
    void this.end(Object.assign(new Error(message), { output: { statusCode } }));
  }
  /** rc14's upsertMessage, a buffered function (Socket/chats.js:917): its own 100 ms flush timer (Utils/event-buffer.js:141-166). */
  private readonly upsert = this.ev.createBufferedFunction(async (message: WAMessage, type: 'notify' | 'append') => {
    this.ev.emit('messages.upsert', { messages: [message], type });
  });
  /** Ids of customers' messages WhatsApp has our delivery receipt for: it never sends them again. */
  readonly receipted: string[] = [];
  /**
   * A message arrives over the network, handled as rc14's handleMessage does: the receipt goes out
   * (Socket/messages-recv.js:1417), decrypting and the rest take `processingMs`, then the upsert (:1432).
   * A live message is handled inside processNodeWithBuffer (buffer, handle, flush: :1571-1577); an offline
   * one (`append`) by the offline queue, into the buffer that waits for `<ib><offline>`. Nothing is
   * received once end() began (it stops reading first): WhatsApp keeps such a message and sends it again.
   * `onReceipt` runs when the receipt is sent (a test records it where a crash cannot take it back).
   */
  async receive(message: WAMessage, { type = 'notify', processingMs = 0, onReceipt }: { type?: 'notify' | 'append'; processingMs?: number; onReceipt?: (id: string) => void } = {}): Promise<boolean> {
    this.tick();
    if (this.ended) return false;
    if (type === 'notify') this.ev.buffer();
    this.receipted.push(message.key.id!);
    onReceipt?.(message.key.id!);
    if (processingMs > 0) await new Promise((resolve) => setTimeout(resolve, processingMs));
    await this.upsert(message, type);
    if (type === 'notify') this.ev.flush();
    return true;
  }
  deliver(messages: WAMessage[], type: 'notify' | 'append' = 'notify') {
    this.tick();
    this.ev.emit('messages.upsert', { messages, type });
  }
  receipt(id: string, status: number) {
    this.tick();
    this.ev.emit('messages.update', [{ key: { id, fromMe: true, remoteJid: 'x@s.whatsapp.net' }, update: { status } }]);
  }
  /**
   * The customer edits a message: Baileys upserts the protocol message (Socket/messages-recv.js:1432,
   * Socket/chats.js:917-918) and then emits its edit as messages.update on the original
   * (Utils/process-message.js:364-378), which the event buffer merges into a still-buffered original
   * (Utils/event-buffer.js:425-441). Offline messages are upserted as 'append' (messages-recv.js:1432);
   * an upsert of the other type first releases what is buffered (event-buffer.js:107-125).
   */
  edit(original: WAMessage, editId: string, text: string, type: 'notify' | 'append' = 'notify') {
    this.tick();
    const key = { ...original.key, id: editId };
    this.ev.emit('messages.upsert', { messages: [waMessage({ id: editId, from: key.remoteJid!, message: { protocolMessage: { type: 14, key: original.key, editedMessage: { conversation: text } } } })], type });
    this.ev.emit('messages.update', [{ key: original.key, update: { message: { editedMessage: { message: { conversation: text } } }, messageTimestamp: 1732400100 } }]);
  }
  /** The customer deletes a message for everyone: the protocol message, then messages.update REVOKE (Utils/process-message.js:298-306). */
  revoke(original: WAMessage, revokeId: string, type: 'notify' | 'append' = 'notify') {
    this.tick();
    this.ev.emit('messages.upsert', { messages: [waMessage({ id: revokeId, from: original.key.remoteJid!, message: { protocolMessage: { type: 0, key: original.key } } })], type });
    this.ev.emit('messages.update', [{ key: original.key, update: { message: null, messageStubType: proto.WebMessageInfo.StubType.REVOKE, key: original.key } }]);
  }
  /** A call stanza: Baileys emits `call` (not buffered) for each state (Socket/messages-recv.js:1442-1485). */
  call(id: string, from: string, status: 'offer' | 'timeout' | 'reject', callerPn?: string) {
    this.tick();
    this.ev.emit('call', [{ chatId: from, from, callerPn, id, date: new Date(), offline: false, status, isVideo: false, isGroup: false }]);
  }
  /** A message the socket could not decrypt, as rc14 treats each failure (see the class comment). */
  undecryptable(id: string, from: string, failure: 'bad-mac' | 'no-message' | 'missing-keys') {
    this.tick();
    if (failure === 'missing-keys') return; // nacked; WhatsApp sends it again later
    const reason = failure === 'bad-mac' ? 'Bad MAC' : 'Message absent from node';
    const stub = waMessage({ id, from, undecryptable: true });
    stub.messageStubParameters = [reason];
    this.ev.emit('messages.upsert', { messages: [stub], type: 'notify' });
    if (failure === 'no-message') this.ev.emit('messages.update', [{ key: stub.key, update: { messageStubParameters: [reason, 'PDO-REQUEST-1'] } }]);
  }
  /**
   * The customer's phone could not decrypt a message we sent (a new phone) and asks for it again: rc14's
   * sendMessagesAgain (Socket/messages-recv.js:1040-1071, 1139-1158) takes it from its retry cache (5 minutes,
   * cleared on end), else from getMessage; with neither it sends nothing.
   */
  async retryRequest(id: string, remoteJid: string): Promise<boolean> {
    const cached = this.retryCache.get(id);
    const message = cached && Date.now() - cached.at < 5 * 60_000 ? cached.message : await this.config.getMessage?.({ id, remoteJid, fromMe: true });
    if (!message) return false;
    this.resent.push({ id, message });
    return true;
  }
  /**
   * The phone's history sync to a newly linked device (RECENT, as rc14 asks without syncFullHistory:
   * Defaults/index.js:65-67): rc14 downloads it and emits `messaging-history.set` with the chats'
   * messages, in the phone's order, ours included (Utils/history.js:50-100, Utils/process-message.js:270-275).
   * It is a bufferable event: held while the socket buffers.
   */
  historySync(messages: WAMessage[]) {
    this.tick();
    this.ev.emit('messaging-history.set', { chats: [], contacts: [], messages, syncType: proto.HistorySync.HistorySyncType.RECENT, progress: 100, isLatest: true });
  }

}

/** The LID the fake server has for a phone number: 15 digits, stable. */
export function serverLid(phone: string): string {
  return `8${phone.padStart(14, '0')}`.slice(-15);
}

/** A Baileys Boom error as Baileys throws it (only the fields the adapter reads). */
export function boom(message: string, statusCode: number): Error {
  return Object.assign(new Error(message), { isBoom: true, output: { statusCode, payload: { statusCode, message } } });
}

/** A WAMessage as Baileys hands it over, built from the real protobuf shapes. */
export function waMessage(fields: {
  id: string;
  from: string;
  alt?: string;
  fromMe?: boolean;
  name?: string;
  timestamp?: number;
  message?: proto.IMessage | null;
  /** An undecryptable message: CIPHERTEXT stub with the decryption error. */
  undecryptable?: boolean;
}): WAMessage {
  const info = proto.WebMessageInfo.fromObject({
    key: { id: fields.id, remoteJid: fields.from, fromMe: fields.fromMe ?? false },
    messageTimestamp: fields.timestamp ?? 1732400000,
    pushName: fields.name ?? 'Max Mustermann',
    ...(fields.undecryptable
      ? { messageStubType: proto.WebMessageInfo.StubType.CIPHERTEXT, messageStubParameters: ['Bad MAC'] }
      : fields.message === null ? {} : { message: fields.message ?? { conversation: 'Hallo' } }),
  }) as WAMessage;
  if (fields.alt) info.key.remoteJidAlt = fields.alt;
  return info;
}

/** Collects the sockets an adapter builds, newest last. */
export function socketFactory(): { sockets: FakeSocket[]; factory: (config: UserFacingSocketConfig) => FakeSocket } {
  const sockets: FakeSocket[] = [];
  return {
    sockets,
    factory: (config) => {
      const socket = new FakeSocket(config);
      sockets.push(socket);
      return socket;
    },
  };
}

/**
 * The message rc14 builds and relays for our content (Utils/messages.js): a text as extendedTextMessage
 * (:276-305), a file as the uploaded media message with a fresh media key, its hashes and where it now is
 * (:139-207); the bytes themselves are never in it.
 */
function relayed(content: MessageContent): proto.IMessage {
  if ('text' in content) return { extendedTextMessage: { text: content.text } };
  const data = 'image' in content ? content.image : content.document;
  const upload = {
    url: `https://mmg.whatsapp.net/v/t62.fake/${createHash('sha256').update(data).digest('hex').slice(0, 16)}`,
    directPath: '/v/t62.fake', mediaKey: randomBytes(32), fileSha256: createHash('sha256').update(data).digest(), fileEncSha256: randomBytes(32),
    fileLength: data.length, mediaKeyTimestamp: Math.floor(Date.now() / 1000), mimetype: content.mimetype, caption: content.caption,
  };
  return 'image' in content ? { imageMessage: upload } : { documentMessage: { ...upload, fileName: content.fileName } };
}

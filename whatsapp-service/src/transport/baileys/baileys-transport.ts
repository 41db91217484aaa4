import makeWASocket, { Browsers, proto, type BaileysEventMap, type UserFacingSocketConfig } from 'baileys';
import type { Logger } from 'pino';
import { backoffDelay, type BackoffPolicy } from '../../backoff.js';
import {
  initialState,
  SendError,
  type ConnectionState,
  type ConnectionStatus,
  type OutboundMedia,
  type SendResult,
  type Transport,
  type TransportContext,
  type TransportHandlers,
} from '../transport.js';
import { fallbackSender, isLidJid, jidUser, resolveSender, validMapping } from './contacts.js';
import { describeDisconnect, disconnectAction } from './disconnect.js';
import { missedWhileUnlinked } from './history.js';
import { Linking } from './linking.js';
import { normalizeCall, normalizeMessage, type BaileysMessage, type Normalized } from './normalize.js';
import { ADDRESSING_REFUSALS, receiptOf, refusalCode } from './receipts.js';
import { downloadMedia, mediaSource } from './media.js';
import { sendTo, type SendContext } from './sending.js';
import { SessionStore } from './session-store.js';
import { MapCache, statusCodeOf, type SocketFactory, type WhatsAppSocket } from './socket.js';

export interface BaileysTransportOptions {
  /** Session folder; created with mode 0700. */
  authDir: string;
  /** Link with a pairing code for this number (digits) instead of a QR code. */
  pairingPhone?: string;
  logger: Logger;
  context: TransportContext;
  /** Print each new QR code on the terminal (default true). */
  printQrInTerminal?: boolean;
  /** Tests pass a fake socket here; the default is Baileys' makeWASocket. */
  socketFactory?: SocketFactory;
  /** Pauses between reconnects (default 2 s doubling to 5 min). */
  reconnectBackoff?: BackoffPolicy;
  /** A send that has not settled after this long restarts the socket (default 60 s). */
  sendTimeoutMs?: number;
  /** How long the phone is given to send an expired file again (default 30 s). */
  reuploadTimeoutMs?: number;
  /** DELIVERY_MAX_AGE_HOURS: messages missed while unlinked are taken from the history sync up to this old (default 72 h). */
  maxAgeMs?: number;
}

const EVENTS = ['connection.update', 'creds.update', 'messages.upsert', 'messages.update', 'messaging-history.set', 'call', 'lid-mapping.update', 'message-capping.update'] as const;
const DEFAULT_RECONNECT: BackoffPolicy = { baseMs: 2_000, maxMs: 5 * 60_000 };
const DEFAULT_MAX_AGE_MS = 72 * 3_600_000;
/** The slowest uplink a file upload is given time for: 50 kB/s. */
const UPLINK_BYTES_PER_MS = 50;
/** After "logged out" the session is cleared; a short pause avoids hammering WhatsApp. */
const RELINK_DELAY_MS = 1_000;
/**
 * rc14 holds a linked device's events from connect until WhatsApp's `<ib><offline>` (Socket/socket.js:821-839),
 * up to 30 s (Utils/event-buffer.js:34, 49-54), and has sent the receipts for them meanwhile: a crash in
 * that time would lose a night's backlog. Flushed this often instead, a crash loses at most this much.
 */
const BUFFER_FLUSH_MS = 200;
/** How long our own end of a socket waits for its close handshake before going on without it. */
const CLOSE_WAIT_MS = 5_000;

/**
 * A new link's moment, for its history import (seconds): a minute early, since WhatsApp's timestamps
 * are its clock, not ours.
 */
const linkedAt = (now: number) => Math.floor(now / 1000) - 60;

/**
 * The real WhatsApp connection: the socket's life cycle. Owns at most one
 * Baileys socket at a time, reconnects for as long as the process runs unless
 * WhatsApp says another client took over or the number is banned, and turns
 * Baileys' events into the gateway's plain ones. Linking, sending and LID
 * learning live in their own modules.
 */
export class BaileysTransport implements Transport {
  readonly name = 'baileys';
  private handlers: TransportHandlers | null = null;
  private store: SessionStore | null = null;
  private socket: WhatsAppSocket | null = null;
  private current: ConnectionState = initialState();
  private reconnectTimer: NodeJS.Timeout | null = null;
  private attempts = 0;
  /** Whether WhatsApp was ever reached since the service started: a first start without network is not a lost connection. */
  private everConnected = false;
  private stopped = false;
  private readonly linking: Linking;
  // Outlives sockets: Baileys counts decryption retries per message across reconnects.
  private readonly retryCounters = new MapCache();
  private readonly onWhatsAppCache = new Set<string>();
  /**
   * Recent sends addressed to a LID, by message id: one may be tried again at the phone's JID. A file
   * by its media id only: 200 pending 16 MB files would otherwise be 3 GB of memory.
   */
  private readonly sentToLid = new Map<string, { chat: string; text: string; mediaId?: string; phone: string }>();
  /** Flushes the current socket's event buffer while it holds anything (BUFFER_FLUSH_MS). */
  private drainTimer: NodeJS.Timeout | null = null;
  /** Settles when a socket closed: sends waiting for WhatsApp's ack give up then. */
  private readonly closedOf = new WeakMap<WhatsAppSocket, Promise<void>>();
  /** Inbound messages being stored: a socket is not ended before they are (WhatsApp has acked them). */
  private readonly storing = new Set<Promise<void>>();
  private readonly log: Logger;

  constructor(private readonly options: BaileysTransportOptions) {
    this.log = options.logger;
    this.linking = new Linking(this.log, options.pairingPhone ?? null, options.printQrInTerminal !== false);
  }

  async start(handlers: TransportHandlers): Promise<void> {
    this.handlers = handlers;
    this.stopped = false;
    this.store = new SessionStore(this.options.authDir);
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    await this.dropSocket();
    this.linking.fail(new Error('the service is stopping'));
    this.setState({ status: 'stopped', qr: null });
    this.store?.close();
    this.store = null;
  }

  async send(chat: string, text: string, messageId: string, media?: OutboundMedia): Promise<SendResult> {
    const socket = this.socket;
    const store = this.store;
    if (!socket || !store || this.current.status !== 'connected') {
      throw new SendError(`WhatsApp is not connected (${this.current.status})`, 'not_connected', true);
    }
    // Noted before the write: a refusal of the LID address comes with WhatsApp's ack, and rc14 emits it at once.
    const addressed = (jid: string) => {
      const phone = isLidJid(jid) ? store.contact(jidUser(jid))?.phone : null;
      if (!phone) return;
      this.sentToLid.set(messageId, { chat, text, mediaId: media?.id, phone });
      // Kept only until the message is delivered, and never more than a few.
      if (this.sentToLid.size > 200) this.sentToLid.delete(this.sentToLid.keys().next().value as string);
    };
    return sendTo({ ...this.sendContext(socket, store, media), addressed }, chat, text, messageId, media);
  }

  private sendContext(socket: WhatsAppSocket, store: SessionStore, media?: OutboundMedia): SendContext {
    return {
      socket,
      store,
      closed: this.closedOf.get(socket) ?? Promise.resolve(),
      onWhatsApp: this.onWhatsAppCache,
      // A file is uploaded first: the watchdog allows for a slow uplink (50 kB/s) on top.
      timeoutMs: (this.options.sendTimeoutMs ?? 60_000) + (media ? Math.ceil(media.data.length / UPLINK_BYTES_PER_MS) : 0),
      stalled: () => this.restart(socket, 'a send did not finish in time'),
    };
  }

  /**
   * WhatsApp refused the address of a message sent to a LID: it is sent once more, under the
   * same id, to the phone's own JID; its receipts say what became of it, with the retry noted.
   */
  private retryAtPhone(whatsappId: string, code: string): boolean {
    const sent = this.sentToLid.get(whatsappId);
    const socket = this.socket;
    const store = this.store;
    if (!sent || !socket || !store) return false;
    const media = sent.mediaId === undefined ? undefined : this.options.context.mediaFile(sent.mediaId);
    if (sent.mediaId !== undefined && !media) return false; // the file is gone (forgotten): the refusal stands
    this.sentToLid.delete(whatsappId);
    this.log.info({ whatsappId, code }, 'WhatsApp refused the LID address; sending once more to the phone number');
    void sendTo(this.sendContext(socket, store, media), sent.chat, sent.text, whatsappId, media, `${sent.phone}@s.whatsapp.net`).then(
      () => this.handlers?.receipt({ whatsappId, state: 'sent', error: `sent again to the phone number: WhatsApp refused the LID address (${code})` }),
      (error: unknown) => this.handlers?.receipt({ whatsappId, state: 'failed', error: `WhatsApp refused the LID address (${code}) and the phone number: ${error instanceof Error ? error.message : String(error)}` }),
    );
    return true;
  }

  downloadMedia(source: string, maxBytes: number): Promise<Buffer> {
    return downloadMedia(this.current.status === 'connected' ? this.socket : null, source, maxBytes, this.options.reuploadTimeoutMs);
  }

  async requestPairingCode(phone: string): Promise<string> {
    if (this.store?.isLinked()) throw new SendError('already linked; unlink first', 'already_linked', false);
    if (this.linking.code && this.linking.phone === phone) return this.linking.code;
    this.linking.phone = phone;
    this.linking.reset();
    const code = this.linking.waitForCode();
    if (this.socket && this.current.status === 'waiting_for_scan' && this.current.qr) {
      void this.linking.pair(this.socket, (pairingCode) => this.setState({ pairingCode }));
    } else {
      this.relink();
    }
    return code;
  }

  relink(): void {
    // Only when linking ran out: no socket, nothing scheduled, and not stopped for a reason the operator must see.
    if (this.stopped || this.socket || this.reconnectTimer || this.store?.isLinked()) return;
    if (this.current.status !== 'waiting_for_scan' && this.current.status !== 'logged_out') return;
    this.log.info('starting a new linking attempt');
    this.connect();
  }

  async logout(): Promise<void> {
    // rc14's logout tells WhatsApp to remove this device and then ends the socket itself (Socket/socket.js:572-594).
    await this.dropSocket((socket) => socket.logout().catch((error: unknown) => {
      this.log.warn({ err: error }, 'logout request failed; forgetting the session anyway');
      return socket.end(undefined);
    }));
    this.store?.clearCredentials();
    this.setState({ status: 'logged_out', qr: null, me: null, pairingCode: null });
  }

  forget(chat: string): void {
    this.store?.forgetContact(chat);
  }

  private connect(): void {
    if (this.stopped || !this.store) return;
    void this.dropSocket();
    this.reconnectTimer = null;
    this.linking.reset();
    const { state, saveCreds } = this.store.authState();
    const factory = this.options.socketFactory ?? ((config: UserFacingSocketConfig) => makeWASocket(config) as unknown as WhatsAppSocket);
    const socket = factory({
      auth: state,
      logger: this.log.child({ component: 'baileys' }, { level: 'warn' }),
      browser: Browsers.ubuntu('Chrome'),
      markOnlineOnConnect: false, // else the phone stops showing notifications
      syncFullHistory: false,
      msgRetryCounterCache: this.retryCounters,
      // A retry request (the customer's phone could not decrypt it, a new phone): the message again, as it was sent
      // (rc14's own cache holds it only 5 minutes and forgets it on socket end, Utils/message-retry-manager.js:3, 33-36).
      getMessage: async (key) => {
        const sent = key.id ? this.options.context.sentMessage(key.id) : undefined;
        if (!sent) return undefined;
        if (sent.sent) return proto.Message.decode(sent.sent);
        return sent.hasFile ? undefined : { conversation: sent.text }; // a file cannot be rebuilt from its caption
      },
    });
    this.socket = socket;
    this.closedOf.set(socket, new Promise((resolve) => socket.ev.on('connection.update', ({ connection }) => connection === 'close' && resolve())));
    this.setState({ status: this.attempts > 0 ? 'reconnecting' : 'connecting', qr: null, pairingCode: null });
    this.drainTimer = setInterval(() => socket.ev.flush(), BUFFER_FLUSH_MS); // flush() does nothing unless it buffers
    this.drainTimer.unref();

    // Every listener runs inside rc14's emit, often within flush(): one that threw would abort the rest of the
    // batch (Utils/event-buffer.js:90-94), messages rc14 has receipted. So none throws; each logs its own trouble.
    const on = <E extends (typeof EVENTS)[number]>(event: E, listener: (data: BaileysEventMap[E]) => void) =>
      socket.ev.on(event, (data) => {
        try {
          listener(data);
        } catch (error) {
          this.log.error({ err: error, event }, 'could not handle a WhatsApp event');
        }
      });
    on('creds.update', () => saveCreds());
    on('connection.update', (update) => this.onConnectionUpdate(socket, update));
    on('messages.upsert', ({ messages, type }) => {
      // "notify": live; "append": arrived while we were offline. Both are customers' messages.
      if (type === 'notify' || type === 'append') for (const message of messages) this.track(this.onMessage(socket, message));
    });
    // Relinked after a logout: what customers wrote meanwhile reaches this device only in the history sync.
    on('messaging-history.set', ({ messages }) => {
      const store = this.store;
      const account = socket.user?.id;
      if (!store || !account) return; // rc14 syncs history only to a linked device
      const now = Date.now();
      const notBefore = Math.floor((now - (this.options.maxAgeMs ?? DEFAULT_MAX_AGE_MS)) / 1000);
      const missed = missedWhileUnlinked(messages, store.historyCutoff(jidUser(account), linkedAt(now)), notBefore);
      if (missed.length === 0) return;
      this.log.info({ count: missed.length }, 'taking the messages customers sent while this number was unlinked from the history sync');
      this.track((async () => {
        for (const message of missed) await this.onMessage(socket, message); // in order
      })());
    });
    // A customer's call rings on the phone only: the ticket hears that they tried (offers only, once per call).
    on('call', (calls) => {
      for (const call of calls) this.track(this.forward(socket, normalizeCall(call), null));
    });
    on('messages.update', (updates) => {
      for (const { key, update } of updates) {
        const receipt = key.fromMe && key.id ? receiptOf(key.id, update) : null;
        const code = refusalCode(update);
        if (receipt?.state === 'failed' && code && ADDRESSING_REFUSALS.has(code) && this.retryAtPhone(receipt.whatsappId, code)) continue;
        if (receipt?.state === 'delivered' || receipt?.state === 'read') this.sentToLid.delete(receipt.whatsappId);
        if (receipt) this.handlers?.receipt(receipt);
      }
    });
    on('lid-mapping.update', (pair) => {
      const mapping = validMapping(pair);
      if (!mapping) return this.log.warn('ignored a LID mapping that is not a LID/phone pair');
      this.store?.rememberContact(mapping.lid, mapping.phone, this.store.contact(mapping.lid)?.chat ?? mapping.phone);
    });
    on('message-capping.update', (capping) => {
      this.log.warn('WhatsApp limits how many new chats this number may start');
      this.setState({ limits: { ...this.current.limits, capping: capping as Record<string, unknown> } });
    });
  }

  private onConnectionUpdate(
    socket: WhatsAppSocket,
    update: { connection?: string; qr?: string; lastDisconnect?: { error?: Error | undefined }; reachoutTimeLock?: { isActive?: boolean; timeEnforcementEnds?: Date } },
  ): void {
    if (socket !== this.socket) return; // an event of a socket we already left
    if (update.qr) {
      this.setState({ status: 'waiting_for_scan', qr: update.qr });
      this.linking.onQr(socket, update.qr, (pairingCode) => this.setState({ pairingCode }));
    }
    if (update.reachoutTimeLock) {
      const { isActive, timeEnforcementEnds } = update.reachoutTimeLock;
      if (isActive) this.log.warn({ until: timeEnforcementEnds }, 'WhatsApp blocks starting new chats for a while (reach-out time lock)');
      const until = isActive && timeEnforcementEnds ? timeEnforcementEnds.toISOString() : null;
      this.setState({ limits: { ...this.current.limits, reachout: { active: !!isActive, until } } });
    }
    if (update.connection === 'open') {
      this.attempts = 0;
      this.everConnected = true;
      const me = socket.user?.id ? jidUser(socket.user.id) : null;
      // A new link fixes from when its history sync may bring messages (before any of it or any live message is stored).
      if (me) this.store?.historyCutoff(me, linkedAt(Date.now()));
      this.log.info('WhatsApp connected successfully');
      this.setState({ status: 'connected', qr: null, pairingCode: null, me });
    }
    if (update.connection === 'close') this.onClose(update.lastDisconnect?.error);
  }

  private onClose(error: Error | undefined): void {
    const code = statusCodeOf(error);
    const reason = describeDisconnect(code, error?.message);
    const lastDisconnect = { code, reason, at: new Date().toISOString() };
    const action = disconnectAction(code, this.store?.isLinked() ?? false, error?.message);
    // Baileys destroys its event buffer right after this event (socket.js end()): what it still
    // holds — messages it has receipted already — comes out now, or never.
    void this.dropSocket('closing');
    if (this.stopped) return;

    switch (action.kind) {
      case 'restart':
        this.log.info({ code }, 'WhatsApp asked for a restart; reconnecting');
        this.setState({ status: 'connecting', qr: null, lastDisconnect });
        return this.connect();
      case 'reconnect':
        return this.reconnectLater(lastDisconnect, action.loud);
      case 'logged_out':
        this.log.warn('logged out from the phone; the session is cleared, scan a new QR code');
        this.store?.clearCredentials();
        this.setState({ status: 'logged_out', qr: null, me: null, lastDisconnect });
        this.reconnectTimer = setTimeout(() => this.connect(), RELINK_DELAY_MS);
        return;
      case 'replaced':
        this.log.error('another WhatsApp Web session replaced this one; not reconnecting. Close the other session and restart the service.');
        return this.setState({ status: 'replaced', qr: null, lastDisconnect });
      case 'banned':
        this.log.error({ code }, 'WhatsApp refused this number (403); not reconnecting');
        return this.setState({ status: 'banned', qr: null, lastDisconnect });
      case 'wait_for_operator':
        this.log.warn('nobody scanned the QR codes; GET /qr (or the plugin settings page) starts a new attempt');
        this.setState({ status: 'waiting_for_scan', qr: null, pairingCode: null, lastDisconnect });
        this.linking.fail(new SendError('the pairing code expired; ask for a new one', 'pairing_expired', true));
        return;
    }
  }

  private reconnectLater(lastDisconnect: ConnectionState['lastDisconnect'], loud = false): void {
    this.attempts++;
    const delay = backoffDelay(this.attempts, this.options.reconnectBackoff ?? DEFAULT_RECONNECT);
    const facts = { code: lastDisconnect?.code, reason: lastDisconnect?.reason, attempt: this.attempts, retryInMs: delay };
    const what = this.everConnected ? 'WhatsApp connection lost; reconnecting' : 'WhatsApp cannot be reached (no network, or WhatsApp is down); trying again';
    if (loud) this.log.error(facts, what);
    else this.log.warn(facts, what);
    this.setState({ status: 'reconnecting', qr: null, lastDisconnect });
    this.reconnectTimer = setTimeout(() => this.connect(), delay);
  }

  /** A socket that stopped answering is left for a new one. */
  private restart(socket: WhatsAppSocket, reason: string): void {
    if (socket !== this.socket || this.stopped) return;
    this.log.warn({ reason }, 'WhatsApp connection stuck; reconnecting');
    void this.dropSocket();
    this.reconnectLater({ code: null, reason, at: new Date().toISOString() });
  }

  private async onMessage(socket: WhatsAppSocket, raw: BaileysMessage): Promise<void> {
    return this.forward(socket, normalizeMessage(raw), raw);
  }

  /** Hands a normalised message (or call) to the gateway under the sender's one chat id. */
  private async forward(socket: WhatsAppSocket, normalized: Normalized, raw: BaileysMessage | null): Promise<void> {
    if (normalized.kind === 'ignore') {
      this.log.debug({ id: raw?.key.id, reason: normalized.reason }, 'message not forwarded');
      return;
    }
    const store = this.store;
    const handlers = this.handlers;
    if (!store || !handlers) return;
    const { chat, phone } = await resolveSender(normalized.senderJid, normalized.senderAltJid, store, (lid) =>
      socket.signalRepository.lidMapping.getPNForLID(lid),
    ).catch((error: unknown) => {
      // WhatsApp has acked the message: never drop it for a lookup that failed; the LID is its chat then.
      this.log.warn({ err: error, id: normalized.id }, 'could not resolve the sender; keeping the message under what is known');
      return fallbackSender(normalized.senderJid, store);
    });
    const { id, name, timestamp } = normalized;
    try {
      if (normalized.kind === 'unreadable') {
        await handlers.unreadable({ id, chat, phone, name, timestamp, type: 'unreadable', text: '', edited: false });
      } else {
        const { type, text, edited, ref } = normalized;
        const media = normalized.media && raw ? { ...normalized.media, source: mediaSource(raw) } : null;
        await handlers.message({ id, chat, phone, name, timestamp, type, text, edited, ref, media });
        store.noteMessageAt(timestamp); // where the history import starts after a relink
      }

    } catch (error) {
      // Baileys has acked it already: the gateway reports the storage problem on /health.
      this.log.error({ err: error, id: normalized.id }, 'could not store an inbound message');
    }
  }

  /** Keeps an inbound message's storing in view until it is done. */
  private track(work: Promise<void>): void {
    this.storing.add(work);
    void work
      .catch((error: unknown) => this.log.error({ err: error }, 'could not handle an inbound message'))
      .finally(() => this.storing.delete(work));
  }

  /** Waits (bounded) for inbound messages still being stored. */
  private async settleStoring(boundMs = 10_000): Promise<void> {
    if (this.storing.size === 0) return;
    await Promise.race([Promise.allSettled([...this.storing]), new Promise((resolve) => setTimeout(resolve, boundMs).unref())]);
  }

  private setState(change: Partial<ConnectionState> & { status?: ConnectionStatus }): void {
    const statusChanged = change.status !== undefined && change.status !== this.current.status;
    this.current = { ...this.current, ...change, ...(statusChanged ? { since: new Date().toISOString() } : {}) };
    this.handlers?.state(this.current);
  }

  /**
   * Leaves the socket without losing what WhatsApp has had receipts for. rc14 sends a message's
   * receipt before it emits the message (Socket/messages-recv.js:1417 vs :1432), and its end()
   * stops reading, awaits the close handshake, emits "close" and then destroys the event buffer
   * with whatever it still holds (Socket/socket.js:472-507, Utils/event-buffer.js:173-192). So the
   * socket is ended first with the listeners kept, messages still being handled during the
   * handshake come out to them, and at "close" the buffer is flushed before rc14 destroys it.
   * `closing` is given a socket that already emitted "close" (WhatsApp or the network ended it).
   */
  private async dropSocket(end: ((socket: WhatsAppSocket) => unknown) | 'closing' = (socket) => socket.end(undefined)): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (this.drainTimer) clearInterval(this.drainTimer);
    this.drainTimer = null;
    if (!socket) return;
    if (end === 'closing') {
      socket.ev.flush(); // before our first await: rc14 destroys the buffer right after the "close" listeners ran
    } else {
      let closed: () => void = () => {};
      const close = new Promise<void>((resolve) => (closed = resolve));
      socket.ev.on('connection.update', ({ connection }) => {
        if (connection !== 'close') return;
        socket.ev.flush();
        closed();
      });
      void Promise.resolve()
        .then(() => end(socket))
        .catch(() => closed()); // already closed
      // ws waits up to 30 s for WhatsApp's close frame; a stop is given less.
      const timer = setTimeout(closed, CLOSE_WAIT_MS);
      await close;
      clearTimeout(timer);
      socket.ev.flush();
    }
    await this.settleStoring();
    for (const event of EVENTS) socket.ev.removeAllListeners(event);
  }
}

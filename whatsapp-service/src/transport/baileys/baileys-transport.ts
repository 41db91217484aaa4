import makeWASocket, { Browsers, type BaileysEventEmitter, type UserFacingSocketConfig } from 'baileys';
import qrcodeTerminal from 'qrcode-terminal';
import type { Logger } from 'pino';
import { backoffDelay, type BackoffPolicy } from '../../backoff.js';
import {
  initialState,
  SendError,
  type ConnectionState,
  type ConnectionStatus,
  type SendResult,
  type Transport,
  type TransportContext,
  type TransportHandlers,
} from '../transport.js';
import { describeDisconnect, disconnectAction } from './disconnect.js';
import { normalizeMessage, type BaileysMessage } from './normalize.js';
import { receiptState } from './receipts.js';
import { chatToJid, isPhoneJid, jidUser, resolveSender } from './sender.js';
import { SessionStore } from './session-store.js';

/** What we use of a Baileys socket; the real one has much more, a test fake needs only this. */
export interface WhatsAppSocket {
  ev: BaileysEventEmitter;
  user?: { id: string } | undefined;
  sendMessage(jid: string, content: { text: string }): Promise<{ key: { id?: string | null } } | undefined>;
  requestPairingCode(phone: string): Promise<string>;
  onWhatsApp(...jids: string[]): Promise<Array<{ exists: unknown; jid: string }> | undefined>;
  signalRepository: { lidMapping: { getPNForLID(lid: string): Promise<string | null> } };
  logout(message?: string): Promise<void>;
  end(error: Error | undefined): void;
}

export type SocketFactory = (config: UserFacingSocketConfig) => WhatsAppSocket;

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
}

const EVENTS = ['connection.update', 'creds.update', 'messages.upsert', 'messages.update', 'lid-mapping.update'] as const;
const DEFAULT_RECONNECT: BackoffPolicy = { baseMs: 2_000, maxMs: 5 * 60_000 };
/** After "logged out" the session is cleared; a short pause avoids hammering WhatsApp. */
const RELINK_DELAY_MS = 1_000;

/**
 * The real WhatsApp connection. Owns at most one Baileys socket at a time,
 * reconnects for as long as the process runs unless WhatsApp says another
 * client took over or the number is banned, and turns Baileys' events into
 * the gateway's plain ones.
 */
export class BaileysTransport implements Transport {
  readonly name = 'baileys';
  private handlers: TransportHandlers | null = null;
  private store: SessionStore | null = null;
  private socket: WhatsAppSocket | null = null;
  private current: ConnectionState = initialState();
  private reconnectTimer: NodeJS.Timeout | null = null;
  private attempts = 0;
  private stopped = false;
  private pairingPhone: string | null;
  private pairingWaiters: Array<{ resolve: (code: string) => void; reject: (error: Error) => void }> = [];
  // Outlives sockets: Baileys counts decryption retries per message across reconnects.
  private readonly retryCounters = new MapCache();
  private readonly onWhatsAppCache = new Set<string>();
  private readonly log: Logger;

  constructor(private readonly options: BaileysTransportOptions) {
    this.log = options.logger;
    this.pairingPhone = options.pairingPhone ?? null;
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
    this.dropSocket();
    this.setState({ status: 'stopped', qr: null });
    this.store?.close();
    this.store = null;
  }

  async send(chat: string, text: string): Promise<SendResult> {
    const socket = this.socket;
    if (!socket || this.current.status !== 'connected') {
      throw new SendError(`WhatsApp is not connected (${this.current.status})`, 'not_connected', true);
    }
    const jid = chatToJid(chat);
    if (isPhoneJid(jid) && !this.onWhatsAppCache.has(jid)) {
      const [found] = (await socket.onWhatsApp(jid).catch(() => undefined)) ?? [];
      if (found && !found.exists) throw new SendError('the number is not on WhatsApp', 'not_on_whatsapp', false);
      if (found?.exists) this.onWhatsAppCache.add(jid);
    }
    try {
      const sent = await socket.sendMessage(jid, { text });
      const whatsappId = sent?.key.id;
      if (!whatsappId) throw new Error('WhatsApp returned no message id');
      return { whatsappId };
    } catch (error) {
      const status = (error as { output?: { statusCode?: number } }).output?.statusCode;
      // 4xx from WhatsApp's server (e.g. 463, restricted) gets worse when repeated.
      if (status && status >= 400 && status < 500) throw new SendError(`WhatsApp refused the message (${status})`, `refused_${status}`, false);
      throw new SendError(error instanceof Error ? error.message : String(error), 'send_failed', true);
    }
  }

  async requestPairingCode(phone: string): Promise<string> {
    this.pairingPhone = phone;
    if (this.store?.isRegistered()) throw new SendError('already linked; unlink first', 'already_linked', false);
    const code = new Promise<string>((resolve, reject) => this.pairingWaiters.push({ resolve, reject }));
    if (this.socket && this.current.status === 'waiting_for_scan' && this.current.qr) {
      void this.pair(this.socket);
    } else if (!this.socket && !this.reconnectTimer) {
      this.connect(); // the QR codes had run out: a new socket, which will ask for the code
    }
    return code;
  }

  async logout(): Promise<void> {
    await this.socket?.logout().catch((error: unknown) => this.log.warn({ err: error }, 'logout request failed; forgetting the session anyway'));
    this.dropSocket();
    this.store?.clearCredentials();
    this.setState({ status: 'logged_out', qr: null, me: null });
  }

  private connect(): void {
    if (this.stopped || !this.store) return;
    this.dropSocket();
    this.reconnectTimer = null;
    const { state, saveCreds } = this.store.authState();
    const factory = this.options.socketFactory ?? ((config: UserFacingSocketConfig) => makeWASocket(config) as unknown as WhatsAppSocket);
    const socket = factory({
      auth: state,
      logger: this.log.child({ component: 'baileys' }, { level: 'warn' }),
      browser: Browsers.ubuntu('Chrome'),
      markOnlineOnConnect: false, // else the phone stops showing notifications
      syncFullHistory: false,
      msgRetryCounterCache: this.retryCounters,
      getMessage: async (key) => {
        const text = key.id ? this.options.context.sentMessageText(key.id) : undefined;
        return text === undefined ? undefined : { conversation: text };
      },
    });
    this.socket = socket;
    this.setState({ status: this.attempts > 0 ? 'reconnecting' : 'connecting', qr: null, pairingCode: null });

    socket.ev.on('creds.update', () => saveCreds());
    socket.ev.on('connection.update', (update) => this.onConnectionUpdate(socket, update));
    socket.ev.on('messages.upsert', ({ messages, type }) => {
      // "notify": live; "append": arrived while we were offline. Both are customers' messages.
      if (type === 'notify' || type === 'append') for (const message of messages) void this.onMessage(socket, message);
    });
    socket.ev.on('messages.update', (updates) => {
      for (const { key, update } of updates) {
        const state = key.fromMe && key.id ? receiptState(update.status) : null;
        if (state && key.id) this.handlers?.receipt({ whatsappId: key.id, state, ...(state === 'failed' ? { error: 'WhatsApp reported an error' } : {}) });
      }
    });
    socket.ev.on('lid-mapping.update', ({ lid, pn }) => {
      const known = this.store?.contact(jidUser(lid));
      this.store?.rememberContact(jidUser(lid), jidUser(pn), known?.chat ?? jidUser(pn));
    });
  }

  private onConnectionUpdate(socket: WhatsAppSocket, update: { connection?: string; qr?: string; lastDisconnect?: { error?: Error | undefined } }): void {
    if (socket !== this.socket) return; // an event of a socket we already left
    if (update.qr) {
      if (this.pairingPhone) {
        this.setState({ status: 'waiting_for_scan', qr: update.qr });
        void this.pair(socket);
      } else {
        this.setState({ status: 'waiting_for_scan', qr: update.qr });
        this.log.info('scan the QR code with WhatsApp (Settings > Linked devices); also at GET /qr');
        if (this.options.printQrInTerminal !== false) qrcodeTerminal.generate(update.qr, { small: true }, (art) => process.stdout.write(`${art}\n`));
      }
    }
    if (update.connection === 'open') {
      this.attempts = 0;
      const me = socket.user?.id ? jidUser(socket.user.id) : null;
      this.log.info('WhatsApp connected successfully');
      this.setState({ status: 'connected', qr: null, pairingCode: null, me });
    }
    if (update.connection === 'close') this.onClose(update.lastDisconnect?.error);
  }

  private onClose(error: Error | undefined): void {
    const code = (error as { output?: { statusCode?: number } } | undefined)?.output?.statusCode ?? null;
    const reason = describeDisconnect(code, error?.message);
    const lastDisconnect = { code, reason, at: new Date().toISOString() };
    const action = disconnectAction(code, this.store?.isRegistered() ?? false, error?.message);
    this.dropSocket();
    if (this.stopped) return;

    switch (action.kind) {
      case 'restart':
        this.log.info({ code }, 'WhatsApp asked for a restart; reconnecting');
        this.setState({ status: 'connecting', qr: null, lastDisconnect });
        return this.connect();
      case 'reconnect': {
        this.attempts++;
        const delay = backoffDelay(this.attempts, this.options.reconnectBackoff ?? DEFAULT_RECONNECT);
        this.log.warn({ code, reason, attempt: this.attempts, retryInMs: delay }, 'WhatsApp connection lost; reconnecting');
        this.setState({ status: 'reconnecting', qr: null, lastDisconnect });
        this.reconnectTimer = setTimeout(() => this.connect(), delay);
        return;
      }
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
        this.log.warn('nobody scanned the QR codes; restart the service or POST /pair for new ones');
        this.setState({ status: 'waiting_for_scan', qr: null, lastDisconnect });
        for (const waiter of this.pairingWaiters.splice(0)) waiter.reject(new Error('the pairing attempt expired'));
        return;
    }
  }

  private async pair(socket: WhatsAppSocket): Promise<void> {
    const phone = this.pairingPhone;
    if (!phone || this.current.pairingCode) return;
    try {
      const code = await socket.requestPairingCode(phone);
      this.log.info({ code }, 'enter this pairing code in WhatsApp: Linked devices > Link with phone number');
      this.setState({ pairingCode: code });
      for (const waiter of this.pairingWaiters.splice(0)) waiter.resolve(code);
    } catch (error) {
      this.log.error({ err: error }, 'could not get a pairing code');
      for (const waiter of this.pairingWaiters.splice(0)) waiter.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private async onMessage(socket: WhatsAppSocket, raw: BaileysMessage): Promise<void> {
    const normalized = normalizeMessage(raw);
    if (normalized.kind === 'ignore') {
      this.log.debug({ id: raw.key.id, reason: normalized.reason }, 'message not forwarded');
      return;
    }
    const store = this.store;
    if (!store || !this.handlers) return;
    try {
      const { chat, phone } = await resolveSender(normalized.senderJid, normalized.senderAltJid, store, (lid) =>
        socket.signalRepository.lidMapping.getPNForLID(lid),
      );
      const { id, name, timestamp, type, text, edited } = normalized;
      await this.handlers.message({ id, chat, phone, name, timestamp, type, text, edited });
    } catch (error) {
      // Not stored: WhatsApp will offer it again (retry receipts / "append" after reconnect).
      this.log.error({ err: error, id: raw.key.id }, 'could not store an inbound message');
    }
  }

  private setState(change: Partial<ConnectionState> & { status?: ConnectionStatus }): void {
    const statusChanged = change.status !== undefined && change.status !== this.current.status;
    this.current = { ...this.current, ...change, ...(statusChanged ? { since: new Date().toISOString() } : {}) };
    this.handlers?.state(this.current);
  }

  private dropSocket(): void {
    const socket = this.socket;
    this.socket = null;
    if (!socket) return;
    for (const event of EVENTS) socket.ev.removeAllListeners(event);
    try {
      socket.end(undefined);
    } catch {
      /* already closed */
    }
  }
}

/** Baileys' CacheStore on a Map; entries expire after an hour. */
class MapCache {
  private readonly entries = new Map<string, { value: unknown; until: number }>();
  get<T>(key: string): T | undefined {
    const entry = this.entries.get(key);
    if (!entry || entry.until < Date.now()) return undefined;
    return entry.value as T;
  }
  set<T>(key: string, value: T): void {
    if (this.entries.size > 10_000) this.entries.clear();
    this.entries.set(key, { value, until: Date.now() + 3_600_000 });
  }
  del(key: string): void {
    this.entries.delete(key);
  }
  flushAll(): void {
    this.entries.clear();
  }
}

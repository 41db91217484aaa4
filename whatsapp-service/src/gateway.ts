import { StorageHealth, type Problem } from './store/storage-health.js';
import type { Logger } from 'pino';
import type { Db } from './store/database.js';
import type { EventRow, EventStore } from './store/event-store.js';
import type { OutboxRow, OutboxState, OutboxStore } from './store/outbox-store.js';
import type { UnreadableStore } from './store/unreadable-store.js';
import type { MediaStore } from './media/media-store.js';
import { MediaWorker } from './media/media-worker.js';
import type { ForgetRequest } from './forget-request.js';
import type { SendRequest } from './outbound/send-request.js';
import { SenderWorker } from './outbound/sender-worker.js';
import {
  initialState,
  type ConnectionState,
  type DeliveryState,
  type InboundMessage,
  type OutboundMedia,
  type Receipt,
  type SendResult,
  type SentMessage,
  type Transport,
  type TransportHandlers,
} from './transport/transport.js';
import { parseAnswer } from './webhook/answer.js';
import { postEvent, type WebhookTarget } from './webhook/client.js';
import { DeliveryWorker } from './webhook/delivery-worker.js';
import { helloEvent, messageEvent, statusEvent } from './webhook/events.js';
import { Greeter } from './webhook/greeter.js';
import { NOT_CONFIGURED } from './webhook/outcome.js';
import { TargetHealth, type TargetStatus } from './webhook/target-health.js';
import { backoffDelay, CONFIGURATION_BACKOFF, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';

export interface GatewayOptions {
  db: Db;
  events: EventStore;
  outbox: OutboxStore;
  unreadable: UnreadableStore;
  media: MediaStore;
  mediaMaxBytes: number;
  transport: Transport;
  webhook: WebhookTarget;
  deliveryConcurrency: number;
  deliveryMaxAgeMs: number;
  sendIntervalMs: number;
  retentionDays: number;
  log: Logger;
  backoff?: BackoffPolicy;
  rescanMs?: number;
  /** While the webhook is down, one waiting event is tried this often. */
  probeMs?: number;
  /** How long an undecryptable message waits for the real one before the ticket is told. */
  unreadableWaitMs?: number;
  /** Pauses between hellos that did not reach the plugin (default: the configuration pace). */
  helloBackoff?: BackoffPolicy;
  /** Pauses between media download attempts. */
  mediaBackoff?: BackoffPolicy;
  /** How long a message waits for its file before it goes on without it. */
  mediaHoldMs?: number;
  now?: () => number;
}

/**
 * The service's core: every inbound message is stored before anything else
 * and then delivered to the webhook; every outbound message is stored and
 * then sent; each change of an outbound message is reported back.
 */
export class Gateway {
  private connection: ConnectionState = initialState();
  private readonly delivery: DeliveryWorker;
  private readonly sender: SenderWorker;
  private readonly mediaWorker: MediaWorker;
  private readonly now: () => number;
  private housekeeping: NodeJS.Timeout | null = null;
  private unreadableTimer: NodeJS.Timeout | null = null;
  private readonly target: TargetHealth;
  private readonly storage: StorageHealth;
  private readonly greeter: Greeter;
  private readonly stateListeners = new Set<(state: ConnectionState) => void>();

  constructor(private readonly options: GatewayOptions) {
    this.now = options.now ?? Date.now;
    const { events, outbox, log, backoff } = options;
    this.storage = new StorageHealth(log.child({ component: 'storage' }), this.now);
    this.target = new TargetHealth(log.child({ component: 'webhook' }), options.webhook.url === null ? NOT_CONFIGURED : null, this.now);
    this.delivery = new DeliveryWorker({
      events,
      deliver: (row) => postEvent(options.webhook, row, this.now),
      complete: (row, answer) => this.complete(row, answer),
      concurrency: options.deliveryConcurrency,
      maxAgeMs: options.deliveryMaxAgeMs,
      log: log.child({ component: 'delivery' }),
      health: this.target,
      storage: this.storage,
      backoff,
      rescanMs: options.rescanMs,
      probeMs: options.probeMs,
      now: this.now,
    });
    this.greeter = new Greeter({
      hello: () => {
        const payload = helloEvent({ transport: options.transport.name, connection: this.connection.status, timestamp: Math.floor(this.now() / 1000), timeout_ms: options.webhook.timeoutMs });
        return postEvent(options.webhook, { id: 0, kind: 'hello', payload }, this.now);
      },
      health: this.target,
      recovered: () => this.delivery.retryNow(),
      backoff: options.helloBackoff ?? CONFIGURATION_BACKOFF,
    });
    this.mediaWorker = new MediaWorker({
      events,
      media: options.media,
      download: (source, maxBytes) => {
        if (!options.transport.downloadMedia) throw new Error(`the ${options.transport.name} transport cannot download media`);
        return options.transport.downloadMedia(source, maxBytes);
      },
      maxBytes: options.mediaMaxBytes,
      isConnected: () => this.connection.status === 'connected',
      ready: (_eventId, chat) => this.delivery.wake(chat),
      added: (eventId, chat) => this.delivery.enqueue(eventId, chat),
      maxAgeMs: options.deliveryMaxAgeMs,
      log: log.child({ component: 'media' }),
      backoff: options.mediaBackoff,
      holdMs: options.mediaHoldMs,
      now: this.now,
    });
    this.sender = new SenderWorker({
      outbox,
      send: (chat, text, messageId, media, context) => options.transport.send(chat, text, messageId, media, context),
      media: (id) => this.mediaFile(id),
      isConnected: () => this.connection.status === 'connected',
      settle: (row, result) => this.settle(row, result),
      hold: (row, reason) => this.hold(row, reason),
      intervalMs: options.sendIntervalMs,
      maxAgeMs: options.deliveryMaxAgeMs,
      log: log.child({ component: 'sender' }),
      backoff,
      now: this.now,
    });
  }

  /** What the transport calls; the transport sees nothing else of the gateway. */
  readonly handlers: TransportHandlers = {
    message: async (message) => this.storing(message, () => this.accept(message)),
    unreadable: async (message) => this.storing(message, () => this.holdUnreadable(message)),
    receipt: (receipt) => this.receipt(receipt),
    failHeld: (chat, reason) => {
      for (const row of this.options.outbox.heldOf(chat)) this.settle(row, { error: reason });
    },
    releaseHeld: (chat) => {
      if (this.options.outbox.release(chat, this.now()) > 0) this.sender.wake();
    },
    state: (state) => {
      this.connection = state;
      if (state.status === 'connected') {
        this.sender.wake();
        this.mediaWorker.connected();
        // Back on WhatsApp: the plugin hears it and hands over what waited for us.
        if (this.started && this.options.webhook.url !== null) this.greeter.greet();
      }
      for (const listener of this.stateListeners) listener(state);
    },
  };

  /** Set once start() greeted: the transport's first `connected` needs no second hello. */
  private started = false;

  async start(): Promise<void> {
    if (this.options.webhook.url !== null) this.greeter.greet();
    this.mediaWorker.start();
    this.delivery.start();
    this.sender.start();
    this.housekeeping = setInterval(() => this.purgeOld(), 3_600_000);
    this.housekeeping.unref();
    this.unreadableTimer = setInterval(() => this.releaseUnreadable(), Math.min(5_000, this.unreadableWaitMs));
    this.unreadableTimer.unref();
    await this.options.transport.start(this.handlers);
    this.started = true;
  }

  /** Stops taking work; what is in flight finishes or stays queued for the next start. */
  async stop(): Promise<void> {
    if (this.housekeeping) clearInterval(this.housekeeping);
    if (this.unreadableTimer) clearInterval(this.unreadableTimer);
    await this.options.transport.stop().catch((error: unknown) => this.options.log.warn({ err: error }, 'transport did not stop cleanly'));
    this.mediaWorker.stop();
    await Promise.all([this.delivery.stop(), this.sender.stop(), this.greeter.stop()]);
  }

  get state(): ConnectionState {
    return this.connection;
  }

  /** The webhook's state: ok, failing (retried) or misconfigured (kept until fixed). */
  get webhook(): TargetStatus {
    return this.target.status;
  }

  /** Set while messages or delivery results cannot be stored: WhatsApp has acked them, so this is loud. */
  get storageProblems(): Problem[] {
    return this.storage.open;
  }

  /** Resolves with the first connection state that satisfies `wanted`, or null after `timeoutMs`. */
  waitForState(wanted: (state: ConnectionState) => boolean, timeoutMs: number): Promise<ConnectionState | null> {
    if (wanted(this.connection)) return Promise.resolve(this.connection);
    return new Promise((resolve) => {
      const done = (state: ConnectionState | null): void => {
        clearTimeout(timer);
        this.stateListeners.delete(listener);
        resolve(state);
      };
      const listener = (state: ConnectionState): void => {
        if (wanted(state)) done(state);
      };
      const timer = setTimeout(() => done(null), timeoutMs);
      this.stateListeners.add(listener);
    });
  }

  /** Stores a customer's message once (by WhatsApp id) and queues it for the webhook. */
  accept(received: InboundMessage): void {
    // The customer wrote: what waited for that (outside the Cloud API's 24-hour window) may go now.
    if (this.options.outbox.release(received.chat, this.now()) > 0) this.sender.wake();
    const message = this.withReactedKey(received);
    if (!message) return;
    const id = this.options.db.transaction(() => {
      this.options.unreadable.forget(message.id); // the real message came after all
      return this.options.events.insert(
        { kind: 'message', dedupeKey: `message:${message.id}`, chat: message.chat, payload: messageEvent(message), mediaSource: message.media?.source ?? null },
        this.now(),
      );
    })();
    if (id === null) {
      this.options.log.debug({ whatsappId: message.id }, 'duplicate inbound message ignored');
      return;
    }
    this.options.log.info({ event: id, type: message.type }, 'inbound message stored');
    if (message.media) this.mediaWorker.add(id, message.chat, message.media.source);
    this.delivery.enqueue(id, message.chat);
  }

  /** A reaction reaches the ticket only when it is to a message this service sent (an agent's): with that message's key. */
  private withReactedKey(message: InboundMessage): InboundMessage | null {
    if (message.type !== 'reaction') return message;
    const reacted = message.ref ? this.options.outbox.byWhatsappId(message.ref) : undefined;
    if (!reacted) {
      this.options.log.debug({ whatsappId: message.id }, 'reaction to a message this service did not send; not forwarded');
      return null;
    }
    return { ...message, refKey: reacted.idempotency_key };
  }

  /** Holds an undecryptable message back: if the real one does not follow, the ticket gets a notice. */
  holdUnreadable(message: InboundMessage): void {
    if (this.options.events.exists(`message:${message.id}`)) return;
    this.options.unreadable.hold(message, this.now() + this.unreadableWaitMs);
    this.options.log.warn({ whatsappId: message.id }, 'a message could not be decrypted; waiting for WhatsApp to send it again');
  }

  /** Turns undecryptable messages whose real version never came into notices for the ticket. */
  releaseUnreadable(): void {
    try {
      for (const message of this.options.unreadable.due(this.now())) {
        // Its own id: the real message may still come later and must not be taken for a duplicate.
        const notice = { ...message, id: `${message.id}:unreadable` };
        const id = this.options.db.transaction(() => {
          this.options.unreadable.forget(message.id);
          return this.options.events.insert(
            { kind: 'message', dedupeKey: `unreadable:${message.id}`, chat: message.chat, payload: messageEvent(notice) },
            this.now(),
          );
        })();
        this.options.log.warn({ whatsappId: message.id }, 'a message stayed unreadable; the ticket is told');
        if (id !== null) this.delivery.enqueue(id, message.chat);
      }
    } catch (error) {
      this.options.log.error({ err: error }, 'could not release unreadable messages');
    }
  }

  /** Queues a message for WhatsApp; a known idempotency key returns the existing one. */
  send(request: SendRequest): { row: OutboxRow; created: boolean } {
    const key = request.key ?? `api:${crypto.randomUUID()}`;
    const known = this.options.outbox.byKey(key);
    if (known) return { row: known, created: false };
    const mediaId = request.media ? this.options.media.save(request.media.data, request.media.mimetype, request.media.filename, this.now()).id : null;
    const result = this.options.outbox.enqueue({ key, chat: request.chat, text: request.text, mediaId, ticket: request.ticket ?? null }, this.now());
    if (result.created) this.sender.wake();
    return result;
  }

  /**
   * Forgets what the gateway holds (docs/contract.md 3.6): a whole chat (a customer's
   * erasure: their messages, replies, files and what the transport knows of them), some
   * messages and replies by WhatsApp id and idempotency key (a deleted ticket: queued
   * replies are then never sent), and everything finished before a time (retention).
   */
  forget(what: ForgetRequest): { events: number; outbox: number; media: number } {
    const outbox = this.options.outbox.forget({ chat: what.chat, keys: what.keys, finishedBefore: what.before });
    const events = this.options.events.forget({ chat: what.chat, messageIds: what.messages, outboxIds: outbox.ids, finishedBefore: what.before });
    const media = this.options.media.forget([...events.mediaIds, ...outbox.mediaIds]);
    if (what.chat !== undefined) {
      this.options.unreadable.forgetChat(what.chat);
      this.options.transport.forget?.(what.chat);
    }
    const counts = { events: events.count, outbox: outbox.ids.length, media };
    // The plugin's standing retention request comes often and mostly finds nothing: only forgetting is news.
    if (counts.events + counts.outbox + counts.media > 0) this.options.log.info(counts, 'forgot what the plugin asked to');
    else this.options.log.debug('asked to forget; nothing matched');
    return counts;
  }

  queueDepths(): { events: Record<string, number>; outbox: Record<OutboxState, number>; held: number } {
    return { events: this.options.events.counts(), outbox: this.options.outbox.counts(), held: this.options.outbox.heldCount() };
  }

  /** The id of the stored file of a customer's message (or of its late file), once the service has it. */
  storedMediaOf(whatsappId: string): string | null {
    for (const key of [`message:${whatsappId}`, `message:${whatsappId}.file`]) {
      const payload = this.options.events.payloadOf(key);
      const id = payload ? (JSON.parse(payload) as { message: { media?: { id?: unknown } | null } }).message.media?.id : undefined;
      if (typeof id === 'string') return id;
    }
    return null;
  }

  /** A stored file with its bytes, or undefined once it is gone. */
  mediaFile(id: string): OutboundMedia | undefined {
    const stored = this.options.media.get(id);
    const data = stored && this.options.media.read(id);
    return stored && data ? { ...stored, data } : undefined;
  }

  /** A message we sent, for WhatsApp's retry requests: as the transport sent it, kept with its outbox row. */
  sentMessage(whatsappId: string): SentMessage | undefined {
    const row = this.options.outbox.byWhatsappId(whatsappId);
    return row && { text: row.body, sent: row.sent_message, hasFile: row.media_id !== null };
  }

  private get unreadableWaitMs(): number {
    return this.options.unreadableWaitMs ?? 60_000;
  }

  /** Runs a store write for an inbound message; a failure is loud: WhatsApp will not offer it again. */
  private async storing(message: InboundMessage, write: () => void): Promise<void> {
    try {
      write();
      this.storage.works('inbound messages');
    } catch (error) {
      this.storage.failed('inbound messages', error);
      this.options.log.error({ err: error, whatsappId: message.id, chat: message.chat }, 'could not store an inbound message');
      throw error;
    }
  }

  private complete(row: EventRow, answer: string): void {
    const replies = row.kind === 'message' ? this.repliesFrom(row, answer) : [];
    const now = this.now();
    this.options.db.transaction(() => {
      this.options.events.markDelivered(row.id, now);
      for (const reply of replies) this.options.outbox.enqueue(reply, now);
    })();
    if (replies.length > 0) this.sender.wake();
  }

  private repliesFrom(row: EventRow, answer: string): Array<{ key: string; chat: string; text: string }> {
    const messageId = (JSON.parse(row.payload) as { message: { id: string } }).message.id;
    const { replies, rejected } = parseAnswer(answer, messageId, row.chat);
    if (rejected.length > 0) this.options.log.warn({ event: row.id, rejected }, 'webhook answer had unusable replies');
    return replies;
  }

  private settle(row: OutboxRow, result: SendResult | { error: string }): void {
    const now = this.now();
    this.options.db.transaction(() => {
      const moved =
        'whatsappId' in result
          ? this.options.outbox.markSent(row.id, result.whatsappId, now, result.sent ?? null)
          : this.options.outbox.advance(row.id, 'failed', result.error, now);
      // Keyed by attempt: a message sent again (WhatsApp refused it for now, it was held, then released) is reported again.
      if (moved) this.report(row, 'whatsappId' in result ? 'sent' : 'failed', 'whatsappId' in result ? result.whatsappId : null, 'error' in result ? result.error : null, 'whatsappId' in result && row.attempts > 0 ? String(row.attempts) : '');
    })();
  }

  /** A message that may not go now waits for the customer's next message; the plugin hears why. */
  private hold(row: OutboxRow, reason: string): void {
    this.options.db.transaction(() => {
      if (this.options.outbox.hold(row.id, reason, this.now())) this.report(row, 'held', null, reason, String(row.attempts));
    })();
  }

  private receipt(receipt: Receipt): { chat: string } | null {
    const row = this.options.outbox.byWhatsappId(receipt.whatsappId);
    if (!row) return null;
    if (receipt.state === 'held' || receipt.state === 'retry') {
      // Taken, then refused for now: queued again. Held: the transport holds it (and does what it needs to) when it
      // is tried. Retry: tried again after the pause a send failing now would get.
      const now = this.now();
      const dueAt = receipt.state === 'retry' ? now + backoffDelay(row.attempts, this.options.backoff ?? DEFAULT_BACKOFF) : now;
      if (this.options.outbox.requeue(row.id, receipt.error ?? 'refused for now', now, dueAt)) this.sender.wake();
      return { chat: row.chat };
    }
    const state = receipt.state;
    this.options.db.transaction(() => {
      if (this.options.outbox.advance(row.id, state, receipt.error ?? null, this.now())) {
        this.report(row, state, receipt.whatsappId, receipt.error ?? null);
      } else if (receipt.error && state === row.state) {
        // No step forward, but something to note (the transport sent it again another way).
        this.options.outbox.note(row.id, receipt.error, this.now());
        this.report(row, state, receipt.whatsappId, receipt.error, 'note');
      }
    })();
    return { chat: row.chat };
  }

  /** Queues a `status` event; must run inside the transaction that changed the row. */
  private report(row: OutboxRow, state: DeliveryState | 'held', whatsappId: string | null, error: string | null, kind = ''): void {
    const payload = statusEvent({
      outboxId: row.id, key: row.idempotency_key, chat: row.chat, state, whatsappId, error, timestamp: Math.floor(this.now() / 1000),
    });
    const id = this.options.events.insert({ kind: 'status', dedupeKey: `status:${row.id}:${state}${kind ? `:${kind}` : ''}`, chat: row.chat, payload }, this.now());
    // The worker learns of it after the commit; enqueue only indexes the row.
    if (id !== null) queueMicrotask(() => this.delivery.enqueue(id, row.chat));
  }

  private purgeOld(): void {
    const before = this.now() - this.options.retentionDays * 86_400_000;
    const events = this.options.events.purgeDelivered(before);
    const outbox = this.options.outbox.purgeFinished(before);
    const media = this.options.media.purge(before);
    if (events + outbox + media > 0) this.options.log.info({ events, outbox, media }, 'forgot old delivered messages and media');
  }
}

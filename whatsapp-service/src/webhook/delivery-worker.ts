import type { Logger } from 'pino';
import type { EventRow, EventStore } from '../store/event-store.js';
import { backoffDelay, CONFIGURATION_BACKOFF, DEFAULT_BACKOFF, type BackoffPolicy } from '../backoff.js';
import type { Outcome } from './outcome.js';
import type { StorageHealth } from '../store/storage-health.js';
import type { TargetHealth } from './target-health.js';

export interface DeliveryWorkerOptions {
  events: EventStore;
  /** One attempt to hand an event to the webhook. */
  deliver(row: EventRow): Promise<Outcome>;
  /** Marks the event delivered and keeps what its answer asks for, in one transaction. */
  complete(row: EventRow, answer: string): void;
  concurrency: number;
  maxAgeMs: number;
  log: Logger;
  /** The webhook's overall state: a success after a failure wakes every waiting chat. */
  health: TargetHealth;
  /** Told when a delivery result cannot be written (disk full) and when it can again. */
  storage: StorageHealth;
  backoff?: BackoffPolicy;
  /** While the webhook is down, one waiting event is tried at least this often (default 5 s). */
  probeMs?: number;
  /** How often the store is re-read for events queued by another process (dead-letter replay). */
  rescanMs?: number;
  now?: () => number;
  random?: () => number;
}

interface ChatQueue {
  ids: number[];
  notBefore: number;
  timer: NodeJS.Timeout | null;
  /** The head waits for its media file, not for the webhook. */
  held?: boolean;
}

/** Retry pace while delivery results cannot be written: the plugin is not asked again and again. */
const STORAGE_BACKOFF: BackoffPolicy = { baseMs: 2_000, maxMs: 60_000 };
const STORAGE = 'delivery results';

/**
 * Delivers stored events to the webhook: one at a time per chat and in
 * order, different chats in parallel up to `concurrency`. The database is
 * the truth; the in-memory queues only index its pending rows.
 *
 * Backoff belongs to the message and to the target: while the webhook is
 * down a probe tries one waiting event every `probeMs`, and the first
 * success wakes every chat, so a backlog drains as soon as it is back.
 */
export class DeliveryWorker {
  private readonly chats = new Map<string, ChatQueue>();
  private readonly known = new Set<number>();
  /** Chats whose head is due and not in flight, oldest first (Set keeps insertion order). */
  private readonly ready = new Set<string>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private rescanTimer: NodeJS.Timeout | null = null;
  private probeTimer: NodeJS.Timeout | null = null;
  private running = false;
  /** Delivery results in a row that could not be written. */
  private storeFailures = 0;
  private readonly now: () => number;

  constructor(private readonly options: DeliveryWorkerOptions) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    this.running = true;
    this.rescan();
    this.rescanTimer = setInterval(() => this.rescan(), this.options.rescanMs ?? 10_000);
    this.rescanTimer.unref();
  }

  /** Tells the worker about an event just stored. */
  enqueue(id: number, chat: string): void {
    if (this.known.has(id)) return;
    this.known.add(id);
    const queue = this.queueOf(chat);
    queue.ids.push(id);
    this.makeReadyIfDue(chat, queue);
    this.pump();
  }

  /** The head of this chat may be delivered now (its media is ready). */
  wake(chat: string): void {
    const queue = this.chats.get(chat);
    if (!queue?.held) return; // a head waiting for the webhook keeps its own pace
    queue.held = false;
    this.release(chat, queue);
    this.pump();
  }

  /** The webhook works again (a hello got through): every waiting chat may go now. */
  retryNow(): void {
    this.wakeAll();
    this.pump();
  }

  /** This chat's head may go now, whatever its backoff said. */
  private release(chat: string, queue: ChatQueue): void {
    if (queue.timer) clearTimeout(queue.timer);
    queue.timer = null;
    queue.notBefore = 0;
    this.makeReadyIfDue(chat, queue);
  }

  /** Stops taking work and waits (bounded) for deliveries in flight; unfinished ones stay pending. */
  async stop(graceMs = 10_000): Promise<void> {
    this.running = false;
    if (this.rescanTimer) clearInterval(this.rescanTimer);
    if (this.probeTimer) clearTimeout(this.probeTimer);
    for (const queue of this.chats.values()) if (queue.timer) clearTimeout(queue.timer);
    const grace = new Promise<void>((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([Promise.allSettled(this.inFlight.values()), grace]);
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  private rescan(): void {
    for (const row of this.options.events.pending()) {
      if (this.known.has(row.id)) continue;
      this.known.add(row.id);
      const queue = this.queueOf(row.chat);
      // Replayed events are older than what is queued: keep ids sorted.
      const at = queue.ids.findIndex((id) => id > row.id);
      if (at === -1) queue.ids.push(row.id);
      else queue.ids.splice(at, 0, row.id);
      if (queue.ids[0] === row.id) queue.notBefore = row.next_attempt_at;
      this.makeReadyIfDue(row.chat, queue);
    }
    this.pump();
  }

  private queueOf(chat: string): ChatQueue {
    let queue = this.chats.get(chat);
    if (!queue) {
      queue = { ids: [], notBefore: 0, timer: null };
      this.chats.set(chat, queue);
    }
    return queue;
  }

  private makeReadyIfDue(chat: string, queue: ChatQueue): void {
    if (queue.ids.length === 0 || this.inFlight.has(chat) || queue.timer) return;
    const wait = queue.notBefore - this.now();
    if (wait <= 0) {
      this.ready.add(chat);
      return;
    }
    queue.timer = setTimeout(() => {
      queue.timer = null;
      this.makeReadyIfDue(chat, queue);
      this.pump();
    }, wait);
  }

  private pump(): void {
    while (this.running && this.inFlight.size < this.options.concurrency && this.ready.size > 0) {
      const chat = this.ready.values().next().value as string;
      this.ready.delete(chat);
      const work = this.deliverHead(chat).finally(() => {
        this.inFlight.delete(chat);
        const queue = this.chats.get(chat);
        if (queue && queue.ids.length > 0) this.makeReadyIfDue(chat, queue);
        else this.chats.delete(chat);
        this.pump();
      });
      this.inFlight.set(chat, work);
    }
  }

  private async deliverHead(chat: string): Promise<void> {
    const queue = this.queueOf(chat);
    const id = queue.ids[0];
    if (id === undefined) return;
    const row = this.options.events.get(id);
    if (!row || row.state !== 'pending') return this.forget(queue, id);
    if (row.media_source !== null) {
      // Its file is still being downloaded; wake(chat) comes when it is stored or given up.
      queue.held = true;
      queue.notBefore = this.now() + 60_000;
      return;
    }

    const outcome = await this.options.deliver(row).catch(
      (error: unknown): Outcome => ({ kind: 'retry', reason: String(error), retryAfterMs: null }),
    );
    const recovered = this.options.health.record(outcome);
    const log = this.options.log.child({ event: row.id, kind: row.kind });
    try {
      if (outcome.kind === 'delivered') {
        if (outcome.oversized) log.warn('the webhook\'s answer was larger than 4 MB: the message counts as delivered, its replies are dropped');
        this.options.complete(row, outcome.body);
        this.stored();
        log.debug('event delivered');
        return this.forget(queue, id);
      }
      const now = this.now();
      const tooOld = outcome.kind === 'retry' && now - row.created_at >= this.options.maxAgeMs;
      if (outcome.kind === 'final' || tooOld) {
        const reason = outcome.kind === 'final' ? outcome.reason : `gave up after ${row.attempts + 1} attempts: ${outcome.reason}`;
        this.options.events.markDead(row.id, reason, now);
        this.stored();
        log.error({ reason }, 'event moved to the dead-letter list (npm run dead-letters)');
        return this.forget(queue, id);
      }
      // A configuration problem is never a reason to give a message up; TargetHealth logs it once.
      const delay =
        outcome.kind === 'configuration'
          ? backoffDelay(row.attempts + 1, CONFIGURATION_BACKOFF, this.options.random)
          : Math.max(outcome.retryAfterMs ?? 0, backoffDelay(row.attempts + 1, this.options.backoff ?? DEFAULT_BACKOFF, this.options.random));
      this.options.events.markRetry(row.id, now + delay, outcome.reason);
      this.stored();
      queue.notBefore = now + delay;
      log.debug({ reason: outcome.reason, attempt: row.attempts + 1, retryInMs: delay }, 'webhook delivery failed, will retry');
      this.scheduleProbe();
    } catch (error) {
      // The store failed (disk full?): the event stays pending; the plugin sees it again (its mid makes that harmless), later each time.
      this.storeFailures += 1;
      queue.notBefore = this.now() + backoffDelay(this.storeFailures, STORAGE_BACKOFF, this.options.random);
      this.options.storage.failed(STORAGE, error);
      log.error({ err: error }, 'could not record the delivery result');
    } finally {
      if (recovered) this.wakeAll();
    }
  }

  private stored(): void {
    this.storeFailures = 0;
    this.options.storage.works(STORAGE);
  }

  /** The webhook answered again: every waiting chat may go now. */
  private wakeAll(): void {
    for (const [chat, queue] of this.chats) if (!queue.held) this.release(chat, queue);
    // pump() runs when this delivery's finally() frees its slot.
  }

  /** While the target is unhealthy, try the longest-waiting chat every probeMs instead of waiting out its backoff. */
  private scheduleProbe(): void {
    if (this.probeTimer || !this.running) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = null;
      if (!this.running || this.options.health.healthy) return;
      if (this.inFlight.size === 0 && this.ready.size === 0) {
        let next: [string, ChatQueue] | null = null;
        for (const entry of this.chats) if (entry[1].timer && !entry[1].held && (!next || entry[1].notBefore < next[1].notBefore)) next = entry;
        if (next) {
          this.release(...next);
          this.pump();
        }
      }
      if (this.chats.size > 0) this.scheduleProbe();
    }, this.options.probeMs ?? 5_000);
    this.probeTimer.unref();
  }

  private forget(queue: ChatQueue, id: number): void {
    queue.ids.shift();
    this.known.delete(id);
    queue.notBefore = 0;
  }
}

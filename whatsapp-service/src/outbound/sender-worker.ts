import type { Logger } from 'pino';
import type { OutboxRow, OutboxStore } from '../store/outbox-store.js';
import { SendError, type OutboundMedia, type SendContext, type SendResult } from '../transport/transport.js';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from '../backoff.js';
import { outboundMessageId } from './message-id.js';

export interface SenderWorkerOptions {
  outbox: OutboxStore;
  send(chat: string, text: string, messageId: string, media: OutboundMedia | undefined, context: SendContext): Promise<SendResult>;
  /** The file of an outbox row; undefined when it is gone (purged). */
  media(id: string): OutboundMedia | undefined;
  isConnected(): boolean;
  /** Records that a message went out, or failed for good (the store update and its status report). */
  settle(row: OutboxRow, result: SendResult | { error: string }): void;
  /** The message may not go before the customer writes again (the store update and its status report). */
  hold(row: OutboxRow, reason: string): void;
  /** Pause between two messages, so the number never looks like a bulk sender. */
  intervalMs: number;
  maxAgeMs: number;
  log: Logger;
  backoff?: BackoffPolicy;
  now?: () => number;
  random?: () => number;
}

/** Sends queued messages one at a time, paced, while the transport is connected. */
export class SenderWorker {
  private running = false;
  private wakeUp: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private stopped!: Promise<void>;
  private resolveStopped!: () => void;
  private readonly now: () => number;

  constructor(private readonly options: SenderWorkerOptions) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    this.running = true;
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
    this.loop = this.run();
  }

  /** Something was queued or the connection came back. */
  wake(): void {
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.resolveStopped?.();
    this.wake();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      let sent: boolean;
      try {
        this.expireOld();
        const row = this.options.isConnected() ? this.options.outbox.nextDue(this.now()) : undefined;
        if (row) await this.sendOne(row);
        sent = row !== undefined;
      } catch (error) {
        // The store failed (disk full?): the loop goes on after a pause; the row stays as it was.
        this.options.log.error({ err: error }, 'could not record a send; trying again in a minute');
        await this.sleep(60_000);
        continue;
      }
      if (!sent) {
        await this.sleep(this.idleWait());
        continue;
      }
      // Pace with a little jitter (up to +25%): evenly spaced messages look automated.
      // New work does not cut the pause short; only stop() does.
      const pause = this.options.intervalMs * (1 + 0.25 * (this.options.random ?? Math.random)());
      if (pause > 0) await Promise.race([delay(pause), this.stopped]);
    }
  }

  /**
   * Messages that waited longer than DELIVERY_MAX_AGE_HOURS fail now, also while WhatsApp
   * is not connected: a reply queued during a logout is not sent days later.
   */
  private expireOld(): void {
    for (const row of this.options.outbox.queuedBefore(this.now() - this.options.maxAgeMs)) {
      const hours = Math.round(this.options.maxAgeMs / 3_600_000);
      this.options.settle(row, { error: `not sent within ${hours} hours${this.options.isConnected() ? '' : ': WhatsApp was not connected'}` });
      this.options.log.error({ outbox: row.id }, 'message too old to send; marked failed');
    }
  }

  private idleWait(): number {
    if (!this.options.isConnected()) return 60_000;
    const next = this.options.outbox.nextAttemptAt();
    return next === null ? 60_000 : Math.max(10, Math.min(next - this.now(), 60_000));
  }

  private async sendOne(row: OutboxRow): Promise<void> {
    const log = this.options.log.child({ outbox: row.id });
    try {
      const media = row.media_id === null ? undefined : this.options.media(row.media_id);
      if (row.media_id !== null && !media) throw new SendError('the file is no longer there (purged after RETENTION_DAYS)', 'media_gone', false);
      const messageId = outboundMessageId(row.id, row.idempotency_key);
      this.options.outbox.claimId(row.id, messageId);
      this.options.settle(row, await this.options.send(row.chat, row.body, messageId, media, { ticket: row.ticket }));
      log.info('message sent');
      return;
    } catch (error) {
      const retryable = !(error instanceof SendError) || error.retryable;
      const reason = error instanceof Error ? error.message : String(error);
      if (error instanceof SendError && error.hold) {
        this.options.hold(row, reason);
        log.info({ reason }, 'message held until the customer writes again');
        return;
      }
      const now = this.now();
      if (!retryable || now - row.created_at >= this.options.maxAgeMs) {
        this.options.settle(row, { error: reason });
        log.error({ reason }, 'message could not be sent and is marked failed');
        return;
      }
      const delay = backoffDelay(row.attempts + 1, this.options.backoff ?? DEFAULT_BACKOFF, this.options.random);
      this.options.outbox.markRetry(row.id, now + delay, reason, now);
      log.warn({ reason, attempt: row.attempts + 1, retryInMs: delay }, 'sending failed, will retry');
    }
  }

  /** Waits up to `ms`, or until wake(). */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = null;
        done();
      };
    });
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

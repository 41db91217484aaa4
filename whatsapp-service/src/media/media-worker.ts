import type { Logger } from 'pino';
import type { EventStore } from '../store/event-store.js';
import { MediaError, type InboundMedia } from '../transport/transport.js';
import type { MediaStore } from './media-store.js';
import { baseMimeType } from './file-name.js';

/** What the plugin is told about a customer's file (docs/contract.md 2.1). */
export type MediaDescriptor =
  | { id: string; mimetype: string; filename: string; size: number; sha256: string }
  | { error: 'too_large' | 'download_failed' | 'expired'; reason: string; mimetype: string; filename: string; size: number | null };

export interface MediaWorkerOptions {
  events: EventStore;
  media: MediaStore;
  download(source: string, maxBytes: number): Promise<Buffer>;
  maxBytes: number;
  /** The event may be delivered now. */
  ready(eventId: number, chat: string): void;
  log: Logger;
  /** Pauses before the 2nd, 3rd, ... attempt; after the last, the download is given up. */
  retryDelaysMs?: number[];
  now?: () => number;
}

/** Where the pending media of a message event waits: in its payload, until the descriptor replaces it. */
export interface PendingMedia extends Omit<InboundMedia, 'source'> {
  pending: true;
}

/**
 * Downloads customers' files after their messages are stored: a crash
 * between the two loses nothing (the event keeps where to fetch from), and a
 * file that cannot be had is given up after a few tries, so the customer's
 * later messages wait seconds, not hours. Two downloads at a time.
 */
export class MediaWorker {
  private readonly queue: Array<{ id: number; chat: string; source: string }> = [];
  private readonly active = new Set<number>();
  private running = false;
  private readonly now: () => number;

  constructor(private readonly options: MediaWorkerOptions) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    this.running = true;
    for (const row of this.options.events.awaitingMedia()) this.add(row.id, row.chat, row.media_source);
  }

  stop(): void {
    this.running = false;
  }

  add(id: number, chat: string, source: string): void {
    if (this.active.has(id) || this.queue.some((job) => job.id === id)) return;
    this.queue.push({ id, chat, source });
    this.pump();
  }

  private pump(): void {
    while (this.running && this.active.size < 2 && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.active.add(job.id);
      void this.process(job)
        .catch((error: unknown) => {
          // The store failed (disk full?): the event keeps its media_source and is tried again later.
          this.options.log.error({ err: error, event: job.id }, 'could not store a media file; will try again');
          setTimeout(() => this.add(job.id, job.chat, job.source), 60_000).unref();
        })
        .finally(() => {
          this.active.delete(job.id);
          this.pump();
        });
    }
  }

  private async process(job: { id: number; chat: string; source: string }): Promise<void> {
    const row = this.options.events.get(job.id);
    if (!row || row.media_source === null) return;
    const payload = JSON.parse(row.payload) as { message: { media: PendingMedia; type: string; timestamp: number } };
    const pending = payload.message.media;
    const log = this.options.log.child({ event: job.id });
    const descriptor = await this.fetch(job.source, pending, log);
    if (!this.running) return; // stopped meanwhile: the next start resumes it
    payload.message.media = descriptor as never;
    if (this.options.events.completeMedia(job.id, JSON.stringify(payload))) this.options.ready(job.id, job.chat);
  }

  private async fetch(source: string, pending: PendingMedia, log: Logger): Promise<MediaDescriptor> {
    const { mimetype, filename, size } = pending;
    const gaveUp = (error: MediaError): MediaDescriptor => {
      log.warn({ code: error.code, reason: error.message }, 'media file not kept');
      return { error: error.code, reason: error.message, mimetype, filename, size };
    };
    if (size !== null && size > this.options.maxBytes) {
      return gaveUp(new MediaError(`the file is larger than MEDIA_MAX_MB (${Math.round(size / 1048576)} MB)`, 'too_large', false));
    }
    const delays = this.options.retryDelaysMs ?? [2_000, 10_000];
    for (let attempt = 0; ; attempt++) {
      let data: Buffer;
      try {
        data = await this.options.download(source, this.options.maxBytes);
        if (data.length > this.options.maxBytes) throw new MediaError('the file is larger than MEDIA_MAX_MB', 'too_large', false);
      } catch (error) {
        const known = error instanceof MediaError ? error : new MediaError(error instanceof Error ? error.message : String(error), 'download_failed', true);
        if (!known.retryable || attempt >= delays.length || !this.running) return gaveUp(known);
        log.debug({ reason: known.message, attempt: attempt + 1 }, 'media download failed, will retry');
        await new Promise((resolve) => setTimeout(resolve, delays[attempt]));
        continue;
      }
      // Outside the try: a full disk is not the file's fault and must not give it up.
      const stored = this.options.media.save(data, baseMimeType(mimetype), filename, this.now());
      log.info({ media: stored.id, size: stored.size }, 'media file stored');
      return stored;
    }
  }
}

import type { Logger } from 'pino';
import { backoffDelay, type BackoffPolicy } from '../backoff.js';
import type { EventStore } from '../store/event-store.js';
import { MediaError, type InboundMedia, type MessageType } from '../transport/transport.js';
import type { MediaStore } from './media-store.js';
import { baseMimeType } from './file-name.js';

/** What the plugin is told about a customer's file (docs/contract.md 2.1). */
export type MediaDescriptor =
  | { id: string; mimetype: string; filename: string; size: number; sha256: string }
  | { error: 'too_large' | 'download_failed' | 'expired' | 'delayed'; reason: string; mimetype: string; filename: string; size: number | null; max?: number };

export interface MediaWorkerOptions {
  events: EventStore;
  media: MediaStore;
  download(source: string, maxBytes: number): Promise<Buffer>;
  maxBytes: number;
  /** Downloads are tried only while WhatsApp is connected: an expired file needs the phone to send it again. */
  isConnected(): boolean;
  /** The event's media is settled (or it went on without it): it may be delivered now. */
  ready(eventId: number, chat: string): void;
  /** A late file became an event of its own. */
  added(eventId: number, chat: string): void;
  /** Files are tried for as long as messages are: DELIVERY_MAX_AGE_HOURS. */
  maxAgeMs: number;
  log: Logger;
  /** Pauses between attempts (default 2 s doubling to 5 min). */
  backoff?: BackoffPolicy;
  /** How long a message waits for its file before it goes on without it (default 15 s). */
  holdMs?: number;
  now?: () => number;
}

/** Where the pending media of a message event waits: in its payload, until the descriptor replaces it. */
export interface PendingMedia extends Omit<InboundMedia, 'source'> {
  pending: true;
}

interface MessageWithFile {
  id: string;
  type: MessageType;
  timestamp: number;
  media: PendingMedia;
}

/** A download: of an event's file (the event waits for it), or of a late file (its message went on). */
interface Job {
  where: 'event' | 'late';
  id: number;
  chat: string;
  source: string;
  /** When the message was stored: the age limit counts from here. */
  since: number;
  attempts: number;
  timer: NodeJS.Timeout | null;
  hold: NodeJS.Timeout | null;
}

const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 2_000, maxMs: 5 * 60_000 };
const CONCURRENCY = 2;

/**
 * Downloads customers' files after their messages are stored: a crash
 * between the two loses nothing (the event keeps where to fetch from). A
 * file is tried with backoff for as long as messages are delivered
 * (DELIVERY_MAX_AGE_HOURS), only while WhatsApp is connected. The chat waits
 * for it at most `holdMs`: then the message goes on saying the file follows,
 * and the file, once here, becomes a message of its own ("<id>.file").
 */
export class MediaWorker {
  private readonly jobs = new Map<string, Job>();
  private readonly due: Job[] = [];
  private active = 0;
  private running = false;
  private readonly now: () => number;

  constructor(private readonly options: MediaWorkerOptions) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    this.running = true;
    for (const row of this.options.events.awaitingMedia()) this.add(row.id, row.chat, row.media_source, row.created_at);
    for (const late of this.options.events.lateFiles()) this.track({ where: 'late', id: late.id, chat: late.chat, source: late.source, since: late.created_at });
  }

  stop(): void {
    this.running = false;
    for (const job of this.jobs.values()) this.clearTimers(job);
    this.jobs.clear();
    this.due.length = 0;
  }

  /** WhatsApp is connected (again): files that waited for it are tried now. */
  connected(): void {
    this.pump();
  }

  add(id: number, chat: string, source: string, since = this.now()): void {
    const job = this.track({ where: 'event', id, chat, source, since });
    if (job) {
      job.hold = setTimeout(() => this.detach(job), this.options.holdMs ?? 15_000);
      job.hold.unref();
    }
  }

  private track(fields: Pick<Job, 'where' | 'id' | 'chat' | 'source' | 'since'>): Job | null {
    const key = `${fields.where}:${fields.id}`;
    if (!this.running || this.jobs.has(key)) return null;
    const job: Job = { ...fields, attempts: 0, timer: null, hold: null };
    this.jobs.set(key, job);
    this.due.push(job);
    this.pump();
    return job;
  }

  private pump(): void {
    while (this.running && this.active < CONCURRENCY && this.due.length > 0 && this.options.isConnected()) {
      const job = this.due.shift()!;
      this.active += 1;
      void this.attempt(job)
        .catch((error: unknown) => {
          // The store failed (disk full?): the file is not given up; tried again later.
          this.options.log.error({ err: error, event: job.id }, 'could not store a media file; will try again');
          this.retryLater(job, 60_000);
        })
        .finally(() => {
          this.active -= 1;
          this.pump();
        });
    }
  }

  private async attempt(job: Job): Promise<void> {
    const message = this.messageOf(job);
    if (!message) return this.drop(job); // settled or forgotten meanwhile
    const { mimetype, filename, size } = message.media;
    const log = this.options.log.child({ event: job.id, late: job.where === 'late' });
    if (size !== null && size > this.options.maxBytes) {
      return this.settle(job, this.gaveUp(new MediaError(`the file is larger than MEDIA_MAX_MB (${Math.round(size / 1048576)} MB)`, 'too_large', false), message, log));
    }
    let data: Buffer;
    try {
      data = await this.options.download(job.source, this.options.maxBytes);
      if (data.length > this.options.maxBytes) throw new MediaError('the file is larger than MEDIA_MAX_MB', 'too_large', false);
    } catch (error) {
      const known = error instanceof MediaError ? error : new MediaError(error instanceof Error ? error.message : String(error), 'download_failed', true);
      if (!this.running) return;
      if (!known.retryable) return this.settle(job, this.gaveUp(known, message, log));
      if (this.now() - job.since >= this.options.maxAgeMs) {
        const hours = Math.round(this.options.maxAgeMs / 3_600_000);
        return this.settle(job, this.gaveUp(new MediaError(`not downloaded within ${hours} hours: ${known.message}`, 'download_failed', false), message, log));
      }
      job.attempts += 1;
      const delay = backoffDelay(job.attempts, this.options.backoff ?? DEFAULT_BACKOFF);
      log.debug({ reason: known.message, attempt: job.attempts, retryInMs: delay }, 'media download failed, will retry');
      return this.retryLater(job, delay);
    }
    if (!this.running) return; // stopped meanwhile: the next start resumes it
    // Outside the try: a full disk is not the file's fault and must not give it up.
    const stored = this.options.media.save(data, baseMimeType(mimetype), filename, this.now());
    log.info({ media: stored.id, size: stored.size }, 'media file stored');
    this.settle(job, stored);
  }

  private gaveUp(error: MediaError, message: MessageWithFile, log: Logger): MediaDescriptor {
    const { mimetype, filename, size } = message.media;
    log.warn({ code: error.code, reason: error.message }, 'media file not kept');
    // Too large: the limit goes along, so the customer can be told by how much.
    return { error: error.code, reason: error.message, mimetype, filename, size, ...(error.code === 'too_large' ? { max: this.options.maxBytes } : {}) };
  }

  private retryLater(job: Job, delay: number): void {
    if (!this.running) return;
    job.timer = setTimeout(() => {
      job.timer = null;
      this.due.push(job);
      this.pump();
    }, delay);
    job.timer.unref();
  }

  /** The message of the job's event (its payload) or late file, with the pending file; null once settled. */
  private messageOf(job: Job): MessageWithFile | null {
    if (job.where === 'event') {
      const row = this.options.events.get(job.id);
      return row && row.media_source !== null ? (JSON.parse(row.payload) as { message: MessageWithFile }).message : null;
    }
    const late = this.options.events.lateFile(job.id);
    return late ? (JSON.parse(late.message) as MessageWithFile) : null;
  }

  /** The file is stored or given up: the event gets it, or the late file becomes an event. */
  private settle(job: Job, descriptor: MediaDescriptor): void {
    this.drop(job);
    if (job.where === 'event') {
      const row = this.options.events.get(job.id);
      if (!row) return;
      const payload = JSON.parse(row.payload) as { message: { media: unknown } };
      payload.message.media = descriptor;
      if (this.options.events.completeMedia(job.id, JSON.stringify(payload))) this.options.ready(job.id, job.chat);
      return;
    }
    const message = this.messageOf(job);
    if (!message) return;
    const id = `${message.id}.file`;
    const payload = JSON.stringify({ event: 'message', message: { ...message, id, text: '', edited: false, media: descriptor } });
    const eventId = this.options.events.finishLateFile(job.id, { kind: 'message', dedupeKey: `message:${id}`, chat: job.chat, payload }, this.now());
    if (eventId !== null) this.options.added(eventId, job.chat);
  }

  /** The chat waited long enough: the message goes on saying its file follows; the download goes on. */
  private detach(job: Job): void {
    job.hold = null;
    if (!this.running || job.where !== 'event') return;
    const row = this.options.events.get(job.id);
    if (!row || row.media_source === null) return;
    const payload = JSON.parse(row.payload) as { message: MessageWithFile };
    const { mimetype, filename, size } = payload.message.media;
    const late = JSON.stringify(payload.message);
    const delayed: MediaDescriptor = { error: 'delayed', reason: 'WhatsApp has not handed the file over yet; it follows as a message of its own', mimetype, filename, size };
    const lateId = this.options.events.detachMedia(job.id, JSON.stringify({ ...payload, message: { ...payload.message, media: delayed } }), {
      chat: job.chat, message: late, source: job.source, created_at: job.since,
    });
    if (lateId === null) return;
    this.options.log.info({ event: job.id }, 'a customer\'s file takes long: the message goes on, the file follows');
    this.jobs.delete(`event:${job.id}`);
    job.where = 'late';
    job.id = lateId;
    this.jobs.set(`late:${lateId}`, job);
    this.options.ready(row.id, job.chat);
  }

  private drop(job: Job): void {
    this.clearTimers(job);
    this.jobs.delete(`${job.where}:${job.id}`);
  }

  private clearTimers(job: Job): void {
    if (job.timer) clearTimeout(job.timer);
    if (job.hold) clearTimeout(job.hold);
    job.timer = job.hold = null;
  }
}

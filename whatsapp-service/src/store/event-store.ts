import type { Db } from './database.js';

export type EventKind = 'message' | 'status';
export type EventState = 'pending' | 'delivered' | 'dead';

export interface EventRow {
  id: number;
  kind: EventKind;
  dedupe_key: string;
  chat: string;
  payload: string;
  state: EventState;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  finished_at: number | null;
  /** Set while the event's media file waits to be downloaded: not delivered until then. */
  media_source: string | null;
}

export interface NewEvent {
  kind: EventKind;
  dedupeKey: string;
  chat: string;
  payload: string;
  mediaSource?: string | null;
}

/** A customer's file still being downloaded after its message went on without it. */
export interface LateFile {
  id: number;
  chat: string;
  /** The `message` of the event (JSON, its `media` still pending); the file follows as `<id>.file` with it. */
  message: string;
  source: string;
  created_at: number;
}

/** Events waiting for, or done with, delivery to the plugin's webhook. */
export class EventStore {
  private readonly statements;

  constructor(private readonly db: Db) {
    this.statements = {
      insert: db.prepare(
        `INSERT INTO events (kind, dedupe_key, chat, payload, media_source, next_attempt_at, created_at)
         VALUES (@kind, @dedupeKey, @chat, @payload, @mediaSource, @now, @now)
         ON CONFLICT (dedupe_key) DO NOTHING`,
      ),
      get: db.prepare('SELECT * FROM events WHERE id = ?'),
      exists: db.prepare('SELECT 1 FROM events WHERE dedupe_key = ?'),
      pending: db.prepare(`SELECT id, chat, next_attempt_at FROM events WHERE state = 'pending' ORDER BY id`),
      delivered: db.prepare(`UPDATE events SET state = 'delivered', attempts = attempts + 1, last_error = NULL, finished_at = ? WHERE id = ? AND state = 'pending'`),
      retry: db.prepare(`UPDATE events SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ? AND state = 'pending'`),
      dead: db.prepare(`UPDATE events SET state = 'dead', attempts = attempts + 1, last_error = ?, finished_at = ? WHERE id = ? AND state = 'pending'`),
      listDead: db.prepare(`SELECT * FROM events WHERE state = 'dead' ORDER BY id LIMIT ?`),
      dropDead: db.prepare(`DELETE FROM events WHERE id = ? AND state = 'dead'`),
      replay: db.prepare(`UPDATE events SET state = 'pending', attempts = 0, next_attempt_at = ?, finished_at = NULL WHERE id = ? AND state = 'dead'`),
      counts: db.prepare(`SELECT state, COUNT(*) AS n FROM events GROUP BY state`),
      awaitingMedia: db.prepare(`SELECT id, chat, media_source, created_at FROM events WHERE state = 'pending' AND media_source IS NOT NULL ORDER BY id`),
      mediaDone: db.prepare(`UPDATE events SET payload = ?, media_source = NULL WHERE id = ? AND media_source IS NOT NULL`),
      purge: db.prepare(`DELETE FROM events WHERE state = 'delivered' AND finished_at < ?`),
      ofChat: db.prepare('SELECT id, payload FROM events WHERE chat = ?'),
      byKey: db.prepare('SELECT id, payload FROM events WHERE dedupe_key = ?'),
      finishedBefore: db.prepare(`SELECT id, payload FROM events WHERE state IN ('delivered', 'dead') AND finished_at < ?`),
      ofOutbox: db.prepare('SELECT id, payload FROM events WHERE dedupe_key LIKE ?'),
      delete: db.prepare('DELETE FROM events WHERE id = ?'),
      lateInsert: db.prepare('INSERT INTO late_files (chat, message, source, created_at) VALUES (?, ?, ?, ?)'),
      lateAll: db.prepare('SELECT * FROM late_files ORDER BY id'),
      lateGet: db.prepare('SELECT * FROM late_files WHERE id = ?'),
      lateDelete: db.prepare('DELETE FROM late_files WHERE id = ?'),
      lateForgetChat: db.prepare('DELETE FROM late_files WHERE chat = ?'),
      lateForgetMessage: db.prepare(`DELETE FROM late_files WHERE json_extract(message, '$.id') = ?`),
    };
  }

  /**
   * Forgets events (bodies included): all of a chat, those of some WhatsApp message ids,
   * the status reports of some outbox rows, and finished ones before a time. Returns how
   * many, and the media ids their payloads named.
   */
  forget(what: { chat?: string; messageIds?: string[]; outboxIds?: number[]; finishedBefore?: number }): { count: number; mediaIds: string[] } {
    const rows: Array<{ id: number; payload: string }> = [];
    if (what.chat !== undefined) rows.push(...(this.statements.ofChat.all(what.chat) as typeof rows));
    for (const id of what.messageIds ?? []) {
      for (const key of [`message:${id}`, `unreadable:${id.replace(/:unreadable$/, '')}`]) rows.push(...(this.statements.byKey.all(key) as typeof rows));
    }
    for (const id of what.outboxIds ?? []) rows.push(...(this.statements.ofOutbox.all(`status:${id}:%`) as typeof rows));
    if (what.finishedBefore !== undefined) rows.push(...(this.statements.finishedBefore.all(what.finishedBefore) as typeof rows));
    const unique = new Map(rows.map((row) => [row.id, row]));
    this.db.transaction(() => {
      for (const id of unique.keys()) this.statements.delete.run(id);
      if (what.chat !== undefined) this.statements.lateForgetChat.run(what.chat);
      for (const id of what.messageIds ?? []) this.statements.lateForgetMessage.run(id);
    })();
    const mediaIds = [...unique.values()].flatMap((row) => {
      const media = (JSON.parse(row.payload) as { message?: { media?: { id?: string } | null } }).message?.media;
      return media?.id ? [media.id] : [];
    });
    return { count: unique.size, mediaIds };
  }

  /** Stores an event once per dedupe key; returns its id, or null if it was already there. */
  insert(event: NewEvent, now: number): number | null {
    const info = this.statements.insert.run({ mediaSource: null, ...event, now });
    return info.changes === 1 ? Number(info.lastInsertRowid) : null;
  }

  exists(dedupeKey: string): boolean {
    return this.statements.exists.get(dedupeKey) !== undefined;
  }

  get(id: number): EventRow | undefined {
    return this.statements.get.get(id) as EventRow | undefined;
  }

  pending(): Array<Pick<EventRow, 'id' | 'chat' | 'next_attempt_at'>> {
    return this.statements.pending.all() as Array<Pick<EventRow, 'id' | 'chat' | 'next_attempt_at'>>;
  }

  markDelivered(id: number, now: number): boolean {
    return this.statements.delivered.run(now, id).changes === 1;
  }

  markRetry(id: number, nextAttemptAt: number, error: string): void {
    this.statements.retry.run(nextAttemptAt, error, id);
  }

  markDead(id: number, error: string, now: number): void {
    this.statements.dead.run(error, now, id);
  }

  listDead(limit = 1000): EventRow[] {
    return this.statements.listDead.all(limit) as EventRow[];
  }

  /** Puts dead events back in the queue; returns how many were dead. */
  replay(ids: number[], now: number): number {
    return this.db.transaction(() => ids.reduce((n, id) => n + this.statements.replay.run(now, id).changes, 0))();
  }

  /** The payload of the event stored under this dedupe key, if any. */
  payloadOf(dedupeKey: string): string | undefined {
    return (this.statements.byKey.get(dedupeKey) as { payload: string } | undefined)?.payload;
  }

  /** Deletes dead events for good (an administrator's decision); returns how many were dead. */
  dropDead(ids: number[]): number {
    return this.db.transaction(() => ids.reduce((n, id) => n + this.statements.dropDead.run(id).changes, 0))();
  }

  /** Events whose media still has to be downloaded. */
  awaitingMedia(): Array<{ id: number; chat: string; media_source: string; created_at: number }> {
    return this.statements.awaitingMedia.all() as Array<{ id: number; chat: string; media_source: string; created_at: number }>;
  }

  /** The media is stored (or given up): the event gets its final payload and may be delivered. */
  completeMedia(id: number, payload: string): boolean {
    return this.statements.mediaDone.run(payload, id).changes === 1;
  }

  /**
   * The file takes too long: the event goes on with `payload` (saying the file follows), and the
   * download continues as a late file (its id returned), in one transaction. Null if the event's media was settled meanwhile.
   */
  detachMedia(id: number, payload: string, late: Omit<LateFile, 'id'>): number | null {
    return this.db.transaction(() => {
      if (this.statements.mediaDone.run(payload, id).changes !== 1) return null;
      return Number(this.statements.lateInsert.run(late.chat, late.message, late.source, late.created_at).lastInsertRowid);
    })();
  }

  lateFiles(): LateFile[] {
    return this.statements.lateAll.all() as LateFile[];
  }

  lateFile(id: number): LateFile | undefined {
    return this.statements.lateGet.get(id) as LateFile | undefined;
  }

  /** The late file is stored (or given up): it becomes an event of its own. Null if it was forgotten meanwhile. */
  finishLateFile(id: number, event: NewEvent, now: number): number | null {
    return this.db.transaction(() => (this.statements.lateDelete.run(id).changes === 1 ? this.insert(event, now) : null))();
  }

  counts(): Record<EventState, number> {
    const counts: Record<EventState, number> = { pending: 0, delivered: 0, dead: 0 };
    for (const row of this.statements.counts.all() as Array<{ state: EventState; n: number }>) counts[row.state] = row.n;
    return counts;
  }

  /** Forgets delivered events (and so their message bodies) finished before `before`. */
  purgeDelivered(before: number): number {
    return this.statements.purge.run(before).changes;
  }
}
